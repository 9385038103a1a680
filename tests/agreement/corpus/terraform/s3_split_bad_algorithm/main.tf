# Split encryption settings naming no algorithm S3 knows, next to a bucket that sets none
# (S3's default SSE-S3 applies to it).
resource "aws_s3_bucket" "typo" {
  bucket = "acme-typo"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "typo" {
  bucket = aws_s3_bucket.typo.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES-256"
    }
  }
}

resource "aws_s3_bucket" "no_default" {
  bucket = "acme-no-default"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "no_default" {
  bucket = aws_s3_bucket.no_default.id
  rule {
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket" "s3_default" {
  bucket = "acme-s3-default"
}

resource "aws_s3_bucket_versioning" "s3_default" {
  bucket = aws_s3_bucket.s3_default.id
  versioning_configuration {
    status = "Enabled"
  }
}
