# A storage account relying on the azurerm provider's defaults (v3 and later):
# HTTPS only and TLS 1.2 by default, but nested items may be made public.
resource "azurerm_storage_account" "defaults" {
  name                     = "acmeproviderdefaults"
  resource_group_name      = "rg-acme-apps"
  location                 = "westeurope"
  account_tier             = "Standard"
  account_replication_type = "ZRS"
}
