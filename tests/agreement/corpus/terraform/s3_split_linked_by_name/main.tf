# Split resources naming the bucket by its literal name instead of a reference.
resource "aws_s3_bucket" "named" {
  bucket = "acme-named-link"
}

resource "aws_s3_bucket_versioning" "named" {
  bucket = "acme-named-link"
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "named" {
  bucket                  = "acme-named-link"
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
