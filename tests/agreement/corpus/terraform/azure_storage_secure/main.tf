# An azurerm storage account with every control set explicitly.
provider "azurerm" {
  features {}
}

resource "azurerm_resource_group" "storage" {
  name     = "rg-acme-storage"
  location = "westeurope"
}

resource "azurerm_storage_account" "secure" {
  name                            = "acmesecuretf"
  resource_group_name             = azurerm_resource_group.storage.name
  location                        = azurerm_resource_group.storage.location
  account_tier                    = "Standard"
  account_replication_type        = "GRS"
  enable_https_traffic_only       = true
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false

  tags = {
    owner = "platform"
  }
}

resource "azurerm_storage_container" "private" {
  name                  = "reports"
  storage_account_name  = azurerm_storage_account.secure.name
  container_access_type = "private"
}
