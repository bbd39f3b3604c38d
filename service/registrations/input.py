"""What a resident submits: the application model and its name and phone checks."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

MAX_NAME = 100
MAX_ADDRESS = 200
MAX_PHONE = 30

# Unicode categories refused in a name: control characters, and format characters such as
# right-to-left overrides, which can make a name display differently from what is stored.
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _clean_name(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(c) in _BAD_CATEGORIES for c in value):
        raise ValueError("de naam bevat een onzichtbaar of stuurteken")
    # Refused rather than escaped: no real name needs < or >, and a stored "<script>" would be one
    # unescaped template away from running in a coordinator's browser.
    if "<" in value or ">" in value:
        raise ValueError("een naam mag geen < of > bevatten")
    if not any(c.isalpha() for c in value):
        raise ValueError("vul uw naam in")
    return " ".join(value.split())


def normalize_phone(value: str) -> str:
    """Return a mobile number in E.164 (Belgian numbers may omit +32); raise ValueError otherwise."""
    if len(value) > MAX_PHONE:
        raise ValueError(f"een telefoonnummer heeft hoogstens {MAX_PHONE} tekens")
    try:
        number = phonenumbers.parse(value, "BE")
    except phonenumbers.NumberParseException:
        raise ValueError("dit is geen telefoonnummer") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("dit is geen geldig telefoonnummer")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError("WhatsApp werkt alleen met een gsm-nummer; geef uw gsm-nummer op")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _empty_is_none(value: Any) -> Any:
    # An HTML form sends an empty field as "": that means "no e-mail address".
    return None if isinstance(value, str) and not value.strip() else value


def _must_be_true(message: str) -> Any:
    def check(value: bool) -> bool:
        if value is not True:
            raise ValueError(message)
        return value

    return AfterValidator(check)


Name = Annotated[str, StringConstraints(max_length=4 * MAX_NAME), AfterValidator(_clean_name)]


class RegistrationIn(BaseModel):
    """An application as the resident submits it (JSON API or HTML form)."""

    model_config = ConfigDict(extra="forbid", str_max_length=1000)

    role: Literal["participant", "coordinator"] = Field(
        description="participant (join the group) or coordinator (lead it, or start a new group)"
    )
    name: Name = Field(description=f"first and last name, at most {MAX_NAME} characters")
    address: str = Field(
        min_length=1, max_length=MAX_ADDRESS, description="street, number, box, postcode"
    )
    phone: str = Field(
        min_length=1, max_length=MAX_PHONE, description="mobile number; 0470 12 34 56 or +32..."
    )
    email: Annotated[EmailStr | None, BeforeValidator(_empty_is_none)] = Field(
        default=None, max_length=254, description="optional"
    )
    adult: Annotated[bool, _must_be_true("u moet meerderjarig zijn om deel te nemen")]
    relation: Literal["live", "work"] = Field(description="live or work at the address")
    accept_rules: Annotated[bool, _must_be_true("aanvaard het huishoudelijk reglement")]
    accept_statement: Annotated[bool, _must_be_true("onderteken de intentieverklaring")]
    consent_police: Annotated[
        bool, _must_be_true("zonder toestemming kan de politie uw aanmelding niet nakijken")
    ]

    @field_validator("name")
    @classmethod
    def _name_length(cls, value: str) -> str:
        if len(value) > MAX_NAME:
            raise ValueError(f"een naam heeft hoogstens {MAX_NAME} tekens")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalize_phone(value)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("vul uw adres in")
        return value
