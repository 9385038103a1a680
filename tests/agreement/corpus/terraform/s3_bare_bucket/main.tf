# A bucket and nothing else.
resource "aws_s3_bucket" "scratch" {
  bucket_prefix = "acme-scratch-"
  force_destroy = true

  tags = {
    purpose = "scratch"
  }
}
