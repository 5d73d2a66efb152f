"""The production user pool as `template.yaml` declares it (a test keeps the two equal); the local
stack builds the same pool from here."""

from typing import Any

PASSWORD_POLICY: dict[str, Any] = {
    "MinimumLength": 12,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}

APP_CLIENT_AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def create_user_pool_arguments(pool_name: str) -> dict[str, Any]:
    """Arguments for `CreateUserPool`: e-mail as the username, verified by a code."""
    return {
        "PoolName": pool_name,
        "Policies": {"PasswordPolicy": PASSWORD_POLICY},
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
        "Schema": [
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
            {"Name": "name", "AttributeDataType": "String", "Required": False, "Mutable": True},
        ],
        "AccountRecoverySetting": {
            "RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]
        },
        # Everything the app uses (password sign-in, refresh, revocation, groups) is in Lite, the
        # cheapest tier; a new pool would otherwise be Essentials.
        "UserPoolTier": "LITE",
    }


def create_app_client_arguments(pool_id: str, client_name: str) -> dict[str, Any]:
    """Arguments for `CreateUserPoolClient`: a public client (no secret) for the SPA."""
    return {
        "UserPoolId": pool_id,
        "ClientName": client_name,
        "GenerateSecret": False,
        "ExplicitAuthFlows": APP_CLIENT_AUTH_FLOWS,
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
    }
