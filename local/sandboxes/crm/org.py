"""The organization behind the sandbox: org record, editions, currencies and users."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from .schema import meta_id

Edition = Literal["free", "standard", "professional", "enterprise", "ultimate"]

# Credits per rolling 24 h: base + per user, capped (spec 1.8); concurrency per edition.
CREDITS = {
    "free": (5_000, 0, 5_000),
    "standard": (50_000, 250, 100_000),
    "professional": (50_000, 500, 3_000_000),
    "enterprise": (50_000, 1_000, 5_000_000),
    "ultimate": (50_000, 2_000, None),
}
CONCURRENCY = {"free": 5, "standard": 10, "professional": 15, "enterprise": 20, "ultimate": 25}

CURRENCY_INFO = {  # iso: (name, symbol, rate against EUR)
    "EUR": ("Euro - EUR", "€", 1.0),
    "USD": ("US Dollar - USD", "$", 1.08),
    "GBP": ("Pound Sterling - GBP", "£", 0.85),
    "CHF": ("Swiss Franc - CHF", "CHF", 0.95),
    "PLN": ("Polish Zloty - PLN", "zł", 4.3),
    "DKK": ("Danish Krone - DKK", "kr", 7.46),
    "INR": ("Indian Rupee - INR", "₹", 90.0),
    "JPY": ("Japanese Yen - JPY", "¥", 160.0),
}


class OrgConfig(BaseModel):
    """Org settings a seed may override (`{"org": {...}}`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = "20084512345"
    company_name: str = "Sandbox GmbH"
    primary_email: str = "admin@sandbox.example"
    country: str = "Germany"
    country_code: str = "DE"
    edition: Edition = "professional"
    iso_code: str = Field(default="EUR", validation_alias=AliasChoices("iso_code", "currency"))
    mc_status: bool = False
    currencies: list[str] = Field(default_factory=lambda: ["USD", "GBP", "CHF", "PLN", "DKK"])
    time_zone: str = "Europe/Berlin"
    type: Literal["Production", "Sandbox", "Developer"] = "Production"
    users_license_purchased: int = 3

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def active_currencies(self) -> list[str]:
        extra = [code for code in self.currencies if code != self.iso_code] if self.mc_status else []
        return [self.iso_code, *extra]

    def exchange_rate(self, iso_code: str) -> float:
        base = CURRENCY_INFO.get(self.iso_code, ("", "", 1.0))[2]
        return round(CURRENCY_INFO.get(iso_code, ("", "", base))[2] / base, 6)

    def default_credits(self) -> int:
        base, per_user, cap = CREDITS[self.edition]
        total = base + per_user * self.users_license_purchased
        return total if cap is None else min(total, cap)

    def default_concurrency(self) -> int:
        return CONCURRENCY[self.edition]

    def describe(self, primary_zuid: str) -> dict[str, Any]:
        name, symbol, _ = CURRENCY_INFO.get(self.iso_code, (self.iso_code, self.iso_code, 1.0))
        return {
            "id": self.id,
            "company_name": self.company_name,
            "alias": None,
            "primary_email": self.primary_email,
            "primary_zuid": primary_zuid,
            "zgid": self.id,
            "domain_name": f"org{self.id}",
            "country": self.country,
            "country_code": self.country_code,
            "currency": name,
            "iso_code": self.iso_code,
            "currency_symbol": symbol,
            "currency_locale": f"{self.country_code.lower()}_{self.country_code}",
            "mc_status": self.mc_status,
            "time_zone": self.time_zone,
            "type": self.type,
            "license_details": {
                "paid": self.edition != "free",
                "paid_type": self.edition,
                "paid_expiry": None,
                "trial_type": None,
                "trial_expiry": None,
                "trial_action": None,
                "users_license_purchased": self.users_license_purchased,
            },
            "max_per_page": 200,
            "phone": "+49 30 1234567",
            "mobile": None,
            "fax": None,
            "employee_count": "25",
            "street": "Friedrichstraße 1",
            "city": "Berlin",
            "state": "Berlin",
            "zip": "10117",
            "website": "https://sandbox.example",
            "description": None,
            "hipaa_compliance_enabled": False,
            "privacy_settings": False,
            "photo_id": None,
        }

    def describe_currencies(self, created: datetime) -> list[dict[str, Any]]:
        stamp = created.astimezone(self.zone).isoformat(timespec="seconds")
        out = []
        for code in self.active_currencies():
            name, symbol, _ = CURRENCY_INFO.get(code, (code, code, 1.0))
            out.append(
                {
                    "id": meta_id(f"currency:{code}"),
                    "name": name,
                    "iso_code": code,
                    "symbol": symbol,
                    "exchange_rate": f"{self.exchange_rate(code):.6f}",
                    "is_base": code == self.iso_code,
                    "is_active": True,
                    "prefix_symbol": True,
                    "format": {
                        "decimal_separator": "Period",
                        "thousand_separator": "Comma",
                        "decimal_places": "2",
                    },
                    "created_time": stamp,
                    "modified_time": stamp,
                    "created_by": None,
                    "modified_by": None,
                }
            )
        return out


class User(BaseModel):
    id: str
    first_name: str
    last_name: str
    email: str
    role: str
    profile: str
    status: Literal["active", "disabled"] = "active"
    confirm: bool = True

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def ref(self) -> dict[str, str]:
        return {"id": self.id, "name": self.full_name, "email": self.email}

    def describe(self, org: OrgConfig, current: bool) -> dict[str, Any]:
        return {
            "id": self.id,
            "full_name": self.full_name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "status": self.status,
            "confirm": self.confirm,
            "role": {"name": self.role, "id": meta_id(f"role:{self.role}")},
            "profile": {"name": self.profile, "id": meta_id(f"profile:{self.profile}")},
            "zuid": str(int(self.id) % 10**9),
            "time_zone": org.time_zone,
            "Currency": org.iso_code,
            "country": org.country_code,
            "locale": "de_DE",
            "Reporting_To": None,
            "Isonline": current,
        }


def default_users() -> list[User]:
    people = [
        ("Anna", "Schäfer", "anna.schaefer@sandbox.example", "CEO", "Administrator", "active"),
        ("Marek", "Nowak", "marek.nowak@sandbox.example", "Manager", "Standard", "active"),
        ("Lea", "Dubois", "lea.dubois@sandbox.example", "Manager", "Standard", "disabled"),
    ]
    return [
        User(
            id=meta_id(f"user:{email}"),
            first_name=first,
            last_name=last,
            email=email,
            role=role,
            profile=profile,
            status=status,
        )  # type: ignore[arg-type]
        for first, last, email, role, profile, status in people
    ]
