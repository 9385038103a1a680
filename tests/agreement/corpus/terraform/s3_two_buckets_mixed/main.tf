# Two buckets side by side: one hardened, one left open.
resource "aws_s3_bucket" "hardened" {
  bucket = "acme-hardened"
}

resource "aws_s3_bucket" "open" {
  bucket = "acme-open"
}

resource "aws_s3_bucket_versioning" "hardened" {
  bucket = aws_s3_bucket.hardened.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "hardened" {
  bucket = aws_s3_bucket.hardened.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "hardened" {
  bucket                  = aws_s3_bucket.hardened.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_public_access_block" "open" {
  bucket                  = aws_s3_bucket.open.id
  block_public_acls       = false
  block_public_policy     = false
  ignore_public_acls      = false
  restrict_public_buckets = false
}
