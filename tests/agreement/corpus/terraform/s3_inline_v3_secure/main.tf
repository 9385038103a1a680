# AWS provider v3 style: settings as blocks inside aws_s3_bucket.
resource "aws_s3_bucket" "legacy" {
  bucket = "acme-legacy"
  acl    = "private"

  versioning {
    enabled = true
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "AES256"
      }
    }
  }

  logging {
    target_bucket = "acme-legacy-logs"
    target_prefix = "legacy/"
  }
}

resource "aws_s3_bucket_public_access_block" "legacy" {
  bucket                  = aws_s3_bucket.legacy.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
