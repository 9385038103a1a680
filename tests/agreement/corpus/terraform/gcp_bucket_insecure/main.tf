# Cloud Storage buckets left with the defaults, and one with versioning off.
resource "google_storage_bucket" "defaults" {
  name     = "acme-gcs-defaults"
  location = "US"
}

resource "google_storage_bucket" "unversioned" {
  name                        = "acme-gcs-unversioned"
  location                    = "EU"
  uniform_bucket_level_access = true
  public_access_prevention    = "inherited"

  versioning {
    enabled = false
  }
}
