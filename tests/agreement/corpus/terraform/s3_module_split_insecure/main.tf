# Buckets whose settings, in settings.tf, switch things off; and one with none at all.
resource "aws_s3_bucket" "uploads" {
  bucket = "acme-module-uploads"
}

resource "aws_s3_bucket" "bare" {
  bucket = "acme-module-bare"
}
