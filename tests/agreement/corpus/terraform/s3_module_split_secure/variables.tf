variable "data_bucket_name" {
  type    = string
  default = "acme-module-data"
}

locals {
  tags = { owner = "platform" }
}
