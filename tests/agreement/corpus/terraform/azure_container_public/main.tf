# Blob containers with anonymous read access, next to a private one.
resource "azurerm_storage_account" "media" {
  name                            = "acmemediatf"
  resource_group_name             = "rg-acme-media"
  location                        = "northeurope"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
}

resource "azurerm_storage_container" "images" {
  name                  = "images"
  storage_account_name  = azurerm_storage_account.media.name
  container_access_type = "blob"
}

resource "azurerm_storage_container" "downloads" {
  name                  = "downloads"
  storage_account_name  = azurerm_storage_account.media.name
  container_access_type = "container"
}

resource "azurerm_storage_container" "internal" {
  name                  = "internal"
  storage_account_name  = azurerm_storage_account.media.name
  container_access_type = "private"
}
