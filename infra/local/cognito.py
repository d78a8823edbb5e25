"""The template's Cognito user pool and app client, created in moto for the local stack and the tests.

moto serves what the dashboard uses: SignUp, ConfirmSignUp (it accepts any code: no e-mail is sent
locally), InitiateAuth with USER_PASSWORD_AUTH, RS256 tokens and the pool's JWKS at
<endpoint>/<pool id>/.well-known/jwks.json. Returns the environment the dashboard function reads.
"""

from __future__ import annotations

from typing import Any

import boto3

from infra.local.resources import physical_name
from infra.local.template import resources

_POOL_KEYS = ("UsernameAttributes", "AutoVerifiedAttributes", "Policies", "MfaConfiguration")
_CLIENT_KEYS = ("ExplicitAuthFlows", "GenerateSecret", "PreventUserExistenceErrors")


def create_user_pool(endpoint: str, stage: str = "local", region: str = "us-east-1") -> dict[str, str]:
    cognito = boto3.session.Session(region_name=region).client("cognito-idp")
    ((pool_id_logical, pool),) = resources("AWS::Cognito::UserPool").items()
    pool_props: dict[str, Any] = {k: v for k, v in pool["Properties"].items() if k in _POOL_KEYS}
    pool_id = cognito.create_user_pool(PoolName=physical_name(stage, pool_id_logical), **pool_props)[
        "UserPool"
    ]["Id"]
    ((client_logical, app_client),) = resources("AWS::Cognito::UserPoolClient").items()
    client_props = {k: v for k, v in app_client["Properties"].items() if k in _CLIENT_KEYS}
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName=physical_name(stage, client_logical), **client_props
    )["UserPoolClient"]["ClientId"]
    return {
        "COGNITO_USER_POOL_ID": pool_id,
        "COGNITO_CLIENT_ID": client_id,
        "COGNITO_JWKS_URL": f"{endpoint}/{pool_id}/.well-known/jwks.json",
    }
