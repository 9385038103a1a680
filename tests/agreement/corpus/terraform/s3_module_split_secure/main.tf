# A module split over files as Terraform projects write them: the buckets here, their
# settings in security.tf and logging.tf, the variables in variables.tf.
resource "aws_s3_bucket" "data" {
  bucket = var.data_bucket_name
  tags   = local.tags
}

resource "aws_s3_bucket" "logs" {
  bucket = "${var.data_bucket_name}-logs"
  tags   = local.tags
}
