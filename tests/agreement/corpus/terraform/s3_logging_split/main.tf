# Server access logging through aws_s3_bucket_logging, for one bucket of two.
resource "aws_s3_bucket" "app" {
  bucket = "acme-app"
}

resource "aws_s3_bucket" "access_logs" {
  bucket = "acme-app-access-logs"
}

resource "aws_s3_bucket_logging" "app" {
  bucket        = aws_s3_bucket.app.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "app/"
}

resource "aws_s3_bucket_versioning" "app" {
  bucket = aws_s3_bucket.app.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}
