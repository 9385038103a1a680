# Provider v3 inline blocks with versioning off and a non-standard algorithm.
resource "aws_s3_bucket" "old" {
  bucket = "acme-old"
  acl    = "public-read"

  versioning {
    enabled = false
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "aws:kms:unknown"
      }
    }
  }
}
