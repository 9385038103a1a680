# One bucket per team with for_each; each setting iterates over the buckets.
variable "teams" {
  type    = set(string)
  default = ["billing", "search"]
}

resource "aws_s3_bucket" "team" {
  for_each = var.teams
  bucket   = "acme-team-${each.key}"
}

resource "aws_s3_bucket_versioning" "team" {
  for_each = aws_s3_bucket.team
  bucket   = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "team" {
  for_each = aws_s3_bucket.team
  bucket   = each.value.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "team" {
  for_each                = aws_s3_bucket.team
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
