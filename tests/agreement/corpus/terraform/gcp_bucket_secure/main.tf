# A Cloud Storage bucket with uniform access, versioning and public access prevention.
provider "google" {
  project = "acme-data"
  region  = "europe-west1"
}

resource "google_storage_bucket" "secure" {
  name                        = "acme-gcs-secure"
  location                    = "EU"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  labels = {
    owner = "platform"
  }
}

resource "google_storage_bucket_iam_member" "reader" {
  bucket = google_storage_bucket.secure.name
  role   = "roles/storage.objectViewer"
  member = "group:analysts@acme.example"
}
