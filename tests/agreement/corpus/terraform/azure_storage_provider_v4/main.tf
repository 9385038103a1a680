# azurerm provider v4 attribute names: https_traffic_only_enabled replaced
# enable_https_traffic_only.
terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "~> 4.0" }
  }
}

resource "azurerm_storage_account" "v4_http" {
  name                            = "acmev4http"
  resource_group_name             = "rg-acme-apps"
  location                        = "westeurope"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  https_traffic_only_enabled      = false
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
}

resource "azurerm_storage_account" "v4_secure" {
  name                            = "acmev4secure"
  resource_group_name             = "rg-acme-apps"
  location                        = "westeurope"
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  https_traffic_only_enabled      = true
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
}
