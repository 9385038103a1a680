# Dual-layer encryption with KMS keys (DSSE-KMS) through the split resource.
resource "aws_s3_bucket" "regulated" {
  bucket = "acme-regulated"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "regulated" {
  bucket = aws_s3_bucket.regulated.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms:dsse"
      kms_master_key_id = "alias/regulated"
    }
  }
}

resource "aws_s3_bucket_versioning" "regulated" {
  bucket = aws_s3_bucket.regulated.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "regulated" {
  bucket                  = aws_s3_bucket.regulated.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
