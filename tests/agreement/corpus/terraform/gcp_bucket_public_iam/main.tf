# IAM grants opening a bucket to everyone.
resource "google_storage_bucket" "site" {
  name                        = "acme-gcs-site"
  location                    = "EU"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }
}

resource "google_storage_bucket_iam_member" "public_read" {
  bucket = google_storage_bucket.site.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

resource "google_storage_bucket_iam_binding" "authenticated" {
  bucket  = google_storage_bucket.site.name
  role    = "roles/storage.legacyBucketReader"
  members = ["allAuthenticatedUsers", "group:web@acme.example"]
}

resource "google_storage_bucket_iam_binding" "team" {
  bucket  = google_storage_bucket.site.name
  role    = "roles/storage.objectAdmin"
  members = ["group:web@acme.example"]
}
