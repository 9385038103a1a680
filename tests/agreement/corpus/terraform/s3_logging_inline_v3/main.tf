# Provider v3 inline logging blocks: one bucket logs into a log bucket by reference, one
# into another by its name, one does not log at all.
resource "aws_s3_bucket" "web" {
  bucket = "acme-web"

  logging {
    target_bucket = aws_s3_bucket.web_logs.id
    target_prefix = "web/"
  }
}

resource "aws_s3_bucket" "web_logs" {
  bucket = "acme-web-logs"
}

resource "aws_s3_bucket" "api" {
  bucket = "acme-api"

  logging {
    target_bucket = "acme-api-logs"
  }
}

resource "aws_s3_bucket" "api_logs" {
  bucket = "acme-api-logs"
}

resource "aws_s3_bucket" "unlogged" {
  bucket = "acme-unlogged"
}
