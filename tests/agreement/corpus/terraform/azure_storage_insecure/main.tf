# An azurerm storage account accepting HTTP, old TLS and public blobs.
resource "azurerm_storage_account" "legacy" {
  name                            = "acmelegacytf"
  resource_group_name             = "rg-acme-legacy"
  location                        = "eastus"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  enable_https_traffic_only       = false
  min_tls_version                 = "TLS1_0"
  allow_nested_items_to_be_public = true
}

resource "azurerm_storage_account" "defaults" {
  name                     = "acmedefaultstf"
  resource_group_name      = "rg-acme-legacy"
  location                 = "eastus"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  min_tls_version          = "TLS1_1"
}
