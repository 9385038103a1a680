# Buckets made with count, their settings indexed the same way.
variable "regions" {
  default = ["eu-west-1", "eu-central-1"]
}

resource "aws_s3_bucket" "replica" {
  count  = length(var.regions)
  bucket = "acme-replica-${var.regions[count.index]}"
}

resource "aws_s3_bucket_versioning" "replica" {
  count  = length(var.regions)
  bucket = aws_s3_bucket.replica[count.index].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "replica" {
  count                   = length(var.regions)
  bucket                  = aws_s3_bucket.replica[count.index].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = false
  restrict_public_buckets = true
}
