"""The rules of a module's preferences (M1-M9): pure, with CRM and inventory fields built here."""

import pytest

from crmsync.domain import field_catalog
from crmsync.domain.field_catalog import FieldKind, custom_field_name, default_map
from crmsync.domain.models import (
    CrmSource,
    Direction,
    FieldPair,
    Module,
    ModuleSettings,
    ModuleViews,
    Role,
)
from crmsync.domain.module_rules import (
    COMPATIBLE,
    FieldFacts,
    Lookups,
    VendorFacts,
    crm_field_facts,
    lookups_needed,
    violations,
)

ACCOUNTS = {
    "Account_Name": crm_field_facts("Account_Name", "text"),
    "Phone": crm_field_facts("Phone", "phone"),
    "Annual_Revenue": crm_field_facts("Annual_Revenue", "currency"),
    "Employees": crm_field_facts("Employees", "integer"),
    "Parent_Account": crm_field_facts("Parent_Account", "lookup"),
    "Customer_Tier__c": crm_field_facts("Customer_Tier__c", "picklist", ("-None-", "Gold", "Silver")),
    "Key_Account__c": crm_field_facts("Key_Account__c", "boolean"),
    "Since__c": crm_field_facts("Since__c", "date"),
}
CONTACTS = {
    "Email": crm_field_facts("Email", "email"),
    "Date_of_Birth": crm_field_facts("Date_of_Birth", "date"),
}
PRODUCTS = {
    "Product_Name": crm_field_facts("Product_Name", "text"),
    "Unit_Price": crm_field_facts("Unit_Price", "currency"),
    "Tax": crm_field_facts("Tax", "multiselectpicklist", ("Sales Tax", "VAT")),
    "Product_Type__c": crm_field_facts("Product_Type__c", "picklist", ("-None-", "Goods", "Services")),
    "Kind__c": crm_field_facts("Kind__c", "picklist", ("-None-", "GOODS", "services")),
    "Tier__c": crm_field_facts("Tier__c", "picklist", ("-None-", "Goods", "Services", "Bundles")),
    "Product_Code": crm_field_facts("Product_Code", "text"),
}


def contact_fields() -> dict[str, FieldFacts]:
    standard = {
        f.name: FieldFacts(f.name, f.kind, f.kind)
        for f in field_catalog.INVENTORY_STANDARD_FIELDS["contacts"]
    }
    return standard | {
        "cf_region": FieldFacts("cf_region", "dropdown", FieldKind.PICKLIST),
        "cf_credit_limit": FieldFacts("cf_credit_limit", "decimal", FieldKind.NUMBER),
        "cf_vip": FieldFacts("cf_vip", "check_box", FieldKind.BOOLEAN),
        "cf_since": FieldFacts("cf_since", "date", FieldKind.DATE),
        "cf_owner": FieldFacts("cf_owner", "lookup", None),
    }


def item_fields() -> dict[str, FieldFacts]:
    return {
        f.name: FieldFacts(f.name, f.kind, f.kind) for f in field_catalog.INVENTORY_STANDARD_FIELDS["items"]
    }


FACTS = VendorFacts(
    crm_fields={"Accounts": ACCOUNTS, "Contacts": CONTACTS, "Products": PRODUCTS},
    crm_views={
        "Accounts": frozenset({"111"}),
        "Contacts": frozenset({"222"}),
        "Products": frozenset({"444"}),
    },
    inventory_fields=contact_fields(),
    crm_currency="USD",
    inventory_currency="USD",
)
ITEM_FACTS = VendorFacts(
    crm_fields={"Products": PRODUCTS},
    inventory_fields=item_fields(),
    crm_currency="USD",
    inventory_currency="USD",
)


def customers(**changes) -> ModuleSettings:
    return ModuleSettings(crm_source=CrmSource.ACCOUNTS, **changes)


def pairs(*names: tuple[str, str]) -> tuple[FieldPair, ...]:
    return tuple(FieldPair(crm=crm, inventory=inventory) for crm, inventory in names)


def fields_of(found) -> list[str]:
    return [field for field, _ in found]


def test_valid_customer_preferences_break_no_rule():
    settings = customers(
        views=ModuleViews(accounts="111"),
        field_map=pairs(
            ("Phone", "billing_address.phone"),
            ("Customer_Tier__c", "cf_region"),
            ("Employees", "cf_credit_limit"),
        ),
    )
    assert violations(Module.CUSTOMERS, settings, Role.PRIMARY, FACTS) == []


def test_crm_source_is_refused_when_missing_for_customers():
    found = violations(Module.CUSTOMERS, ModuleSettings(), Role.PRIMARY, FACTS)
    assert fields_of(found) == ["crm_source"] and "Required" in found[0][1]


@pytest.mark.parametrize("module", [Module.VENDORS, Module.ITEMS])
def test_crm_source_is_refused_when_given_for_vendors_or_items(module):
    found = violations(module, ModuleSettings(crm_source=CrmSource.ACCOUNTS), Role.PRIMARY, FACTS)
    assert fields_of(found) == ["crm_source"] and "customers only" in found[0][1]


@pytest.mark.parametrize("source", [CrmSource.ACCOUNTS, CrmSource.CONTACTS, None])
def test_unassociated_contacts_are_refused_when_source_is_not_accounts_and_contacts(source):
    settings = ModuleSettings(crm_source=source, include_unassociated_contacts=True)
    assert "include_unassociated_contacts" in fields_of(
        violations(Module.CUSTOMERS, settings, Role.PRIMARY, FACTS)
    )


def test_unassociated_contacts_are_accepted_when_source_is_accounts_and_contacts():
    settings = ModuleSettings(crm_source=CrmSource.ACCOUNTS_AND_CONTACTS, include_unassociated_contacts=True)
    assert violations(Module.CUSTOMERS, settings, Role.PRIMARY, FACTS) == []


def test_two_way_is_refused_when_integration_is_secondary():
    found = violations(Module.CUSTOMERS, customers(direction=Direction.TWO_WAY), Role.SECONDARY, FACTS)
    assert fields_of(found) == ["direction"] and "secondary" in found[0][1]
    assert (
        violations(Module.CUSTOMERS, customers(direction=Direction.FETCH_FROM_CRM), Role.SECONDARY, FACTS)
        == []
    )


def test_view_is_refused_when_its_key_does_not_apply_to_the_source():
    settings = customers(views=ModuleViews(contacts="222", vendors="333"))
    found = violations(Module.CUSTOMERS, settings, Role.PRIMARY, FACTS)
    assert fields_of(found) == ["views.contacts", "views.vendors"]
    assert "accounts" in found[0][1].lower()


def test_views_of_both_modules_are_accepted_when_source_is_accounts_and_contacts():
    settings = ModuleSettings(
        crm_source=CrmSource.ACCOUNTS_AND_CONTACTS, views=ModuleViews(accounts="111", contacts="222")
    )
    assert violations(Module.CUSTOMERS, settings, Role.PRIMARY, FACTS) == []


def test_view_is_refused_when_the_crm_has_no_such_view():
    found = violations(Module.CUSTOMERS, customers(views=ModuleViews(accounts="999")), Role.PRIMARY, FACTS)
    assert found == [("views.accounts", "No custom view 999 in CRM Accounts.")]


def test_crm_field_is_refused_when_the_module_read_does_not_have_it():
    # Email is a Contacts field: unknown while customers come from Accounts only
    found = violations(
        Module.CUSTOMERS, customers(field_map=pairs(("Email", "website"))), Role.PRIMARY, FACTS
    )
    assert found == [("field_map.0.crm", "No field Email in CRM Accounts.")]
    both = ModuleSettings(crm_source=CrmSource.ACCOUNTS_AND_CONTACTS, field_map=pairs(("Email", "website")))
    assert violations(Module.CUSTOMERS, both, Role.PRIMARY, FACTS) == []


def test_inventory_field_is_refused_when_neither_standard_nor_custom():
    found = violations(
        Module.CUSTOMERS, customers(field_map=pairs(("Phone", "cf_nothing"))), Role.PRIMARY, FACTS
    )
    assert fields_of(found) == ["field_map.0.inventory"] and "cf_nothing" in found[0][1]


@pytest.mark.parametrize(
    ("crm", "inventory"),
    [
        ("Phone", "cf_credit_limit"),  # text -> number
        ("Employees", "website"),  # number -> text
        ("Key_Account__c", "website"),  # boolean -> text
        ("Account_Name", "cf_region"),  # text -> dropdown
        ("Since__c", "cf_vip"),  # date -> boolean
    ],
)
def test_pair_is_refused_when_types_are_incompatible(crm, inventory):
    found = violations(Module.CUSTOMERS, customers(field_map=pairs((crm, inventory))), Role.PRIMARY, FACTS)
    assert fields_of(found) == ["field_map.0"] and "cannot map" in found[0][1]


@pytest.mark.parametrize(
    ("crm", "inventory"),
    [
        ("Account_Name", "notes"),  # text -> text
        ("Employees", "cf_credit_limit"),  # number -> decimal
        ("Annual_Revenue", "cf_credit_limit"),  # currency -> number
        ("Key_Account__c", "cf_vip"),  # boolean -> check box
        ("Customer_Tier__c", "website"),  # picklist -> text
        ("Customer_Tier__c", "cf_region"),  # picklist -> dropdown
        ("Since__c", "cf_since"),  # date -> date
    ],
)
def test_pair_is_accepted_when_types_are_compatible(crm, inventory):
    assert (
        violations(Module.CUSTOMERS, customers(field_map=pairs((crm, inventory))), Role.PRIMARY, FACTS) == []
    )


def test_lookup_and_unsupported_types_are_refused_on_either_side():
    settings = customers(field_map=pairs(("Parent_Account", "notes"), ("Phone", "cf_owner")))
    found = violations(Module.CUSTOMERS, settings, Role.PRIMARY, FACTS)
    assert fields_of(found) == ["field_map.0.crm", "field_map.1.inventory"]
    assert "lookup" in found[0][1] and "lookup" in found[1][1]
    items = ModuleSettings(field_map=pairs(("Tax", "description")))
    assert fields_of(violations(Module.ITEMS, items, Role.PRIMARY, ITEM_FACTS)) == ["field_map.0.crm"]


def test_currency_field_is_refused_when_base_currencies_differ():
    settings = customers(field_map=pairs(("Annual_Revenue", "cf_credit_limit")))
    facts = VendorFacts(**{**FACTS.__dict__, "crm_currency": "EUR"})
    found = violations(Module.CUSTOMERS, settings, Role.PRIMARY, facts)
    assert fields_of(found) == ["field_map.0"] and "EUR" in found[0][1] and "USD" in found[0][1]
    rate = ModuleSettings(field_map=pairs(("Product_Code", "rate")))  # inventory side currency, CRM text
    assert "cannot map" in violations(Module.ITEMS, rate, Role.PRIMARY, ITEM_FACTS)[0][1]


def test_inventory_field_is_refused_when_mapped_twice():
    settings = customers(
        field_map=pairs(("Phone", "website"), ("Account_Name", "notes"), ("Account_Name", "website"))
    )
    found = violations(Module.CUSTOMERS, settings, Role.PRIMARY, FACTS)
    assert found == [("field_map.2.inventory", "Already mapped by field_map.0.")]


def test_every_broken_rule_is_listed_when_several_break():
    settings = ModuleSettings(
        include_unassociated_contacts=True,
        views=ModuleViews(products="444"),
        field_map=pairs(("Nope", "cf_nothing")),
        product_type_field="Product_Type__c",
    )
    found = violations(Module.CUSTOMERS, settings, Role.SECONDARY, FACTS)
    assert fields_of(found) == [
        "crm_source",
        "include_unassociated_contacts",
        "direction",
        "views.products",
        "field_map.0.crm",
        "field_map.0.inventory",
        "product_type_field",
    ]


def test_product_type_field_is_accepted_when_a_goods_services_picklist_in_any_case():
    for name in ("Product_Type__c", "Kind__c"):
        settings = ModuleSettings(product_type_field=name)
        assert violations(Module.ITEMS, settings, Role.PRIMARY, ITEM_FACTS) == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Missing__c", "No field Missing__c in CRM Products."),
        ("Product_Code", "Product_Code is a text field; it must be a picklist."),
        ("Tier__c", "The values of Tier__c must be Goods and Services."),
    ],
)
def test_product_type_field_is_refused_when_not_a_goods_services_picklist(name, problem):
    found = violations(Module.ITEMS, ModuleSettings(product_type_field=name), Role.PRIMARY, ITEM_FACTS)
    assert found == [("product_type_field", problem)]


def test_product_type_field_is_refused_when_module_is_not_items():
    found = violations(
        Module.VENDORS, ModuleSettings(product_type_field="Product_Type__c"), Role.PRIMARY, FACTS
    )
    assert fields_of(found) == ["product_type_field"]


def test_nothing_is_looked_up_when_preferences_name_no_view_field_or_product_type():
    assert lookups_needed(Module.CUSTOMERS, customers()) == Lookups()


def test_lookups_name_exactly_the_modules_the_preferences_touch():
    settings = ModuleSettings(
        crm_source=CrmSource.ACCOUNTS_AND_CONTACTS,
        views=ModuleViews(contacts="222", vendors="333"),
        field_map=pairs(("Phone", "website")),
    )
    assert lookups_needed(Module.CUSTOMERS, settings) == Lookups(
        crm_field_modules=("Accounts", "Contacts"),
        crm_view_modules=("Contacts",),
        inventory_fields=True,
        base_currencies=True,
    )
    items = lookups_needed(Module.ITEMS, ModuleSettings(product_type_field="Product_Type__c"))
    assert items == Lookups(crm_field_modules=("Products",))


def test_default_map_follows_the_customer_source():
    accounts = {pair.crm_module for pair in default_map(Module.CUSTOMERS, CrmSource.ACCOUNTS)}
    both = {pair.crm_module for pair in default_map(Module.CUSTOMERS, CrmSource.ACCOUNTS_AND_CONTACTS)}
    assert accounts == {"Accounts"} and both == {"Accounts", "Contacts"}
    assert {p.crm for p in default_map(Module.ITEMS, None)} >= {"Product_Name", "Product_Code", "Unit_Price"}


def test_default_map_targets_only_standard_inventory_fields_with_compatible_types():
    for pair in field_catalog.DEFAULT_FIELD_MAP:
        entity = field_catalog.INVENTORY_ENTITY[pair.module]
        standard = {f.name: f.kind for f in field_catalog.INVENTORY_STANDARD_FIELDS[entity]}
        assert standard.get(pair.inventory) == pair.inventory_type, pair
        assert (field_catalog.CRM_KINDS[pair.crm_type], pair.inventory_type) in COMPATIBLE, pair


def test_custom_field_is_named_by_api_name_else_by_label():
    assert custom_field_name("cf_region", "Region") == "cf_region"
    assert custom_field_name(None, "Credit Limit (EUR)") == "cf_credit_limit_eur"
