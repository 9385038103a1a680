# Settings from variables and locals with defaults.
variable "bucket_name" {
  type    = string
  default = "acme-from-vars"
}

variable "versioning_status" {
  type    = string
  default = "Suspended"
}

variable "restrict_public" {
  type    = bool
  default = false
}

locals {
  algorithm = "aws:kms"
}

resource "aws_s3_bucket" "configured" {
  bucket = var.bucket_name
}

resource "aws_s3_bucket_versioning" "configured" {
  bucket = aws_s3_bucket.configured.id
  versioning_configuration {
    status = var.versioning_status
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "configured" {
  bucket = aws_s3_bucket.configured.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = local.algorithm
    }
  }
}

resource "aws_s3_bucket_public_access_block" "configured" {
  bucket                  = aws_s3_bucket.configured.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = var.restrict_public
}
