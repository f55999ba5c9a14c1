"""The local cloud: template.yaml running on one machine, without Docker or AWS.

    from local.cloud import LocalCloud

    with LocalCloud() as cloud:                    # free ports; see Ports for fixed ones
        owner = cloud.create_owner("owner@example.com", "Local-password-1")
        requests.get(f"{cloud.api_url}/campaigns", headers=owner.headers)
        cloud.run_schedules()                     # fire every schedule once, now
        cloud.drain_queues()                      # deliver queued messages until the queues are empty
        cloud.client("dynamodb")                  # boto3 client of the local moto server

`LocalCloud(template_path, ports=Ports(...), spotify=None|True|False,
parameters={...}, background=True)`:
- ports: `Ports(api, web, moto, spotify)`; None (the default) picks free ports;
  `Ports.from_env()` reads SOUNDLINK_*_PORT with the defaults of ARCHITECTURE.md.
- spotify: None starts the Spotify emulator unless SPOTIFY_CLIENT_ID and
  SPOTIFY_CLIENT_SECRET are set (then the real Spotify is used); True/False force it.
- parameters: template parameter values over the local ones (`local_parameters`).
- open_spotify_stand_in: send people to the emulator's stand-in pages instead of
  open.spotify.com destinations (local/destinations.py); `python -m local` does,
  tests see the deployed answers unless they call `use_open_spotify_stand_in`.
- background: poll the SQS sources and fire schedules on their expressions.
  Tests that want determinism pass False and call `drain_queues()` and
  `run_schedules()` themselves.
The demo (`local/demo.py`) uses a running cloud; `python -m local` starts it
after `start()` and stops it before `stop()` (the cloud knows nothing of it).

Attributes once started: `api_url`, `web_url`, `moto_url`, `spotify_url` (None
without the emulator), `spotify` (the emulator handle), `stack` (resources,
physical ids, the resolver), `functions`. Methods: `create_owner`, `sign_in`,
`run_schedules`, `drain_queues`, `invoke`, `client`, `physical_id`,
`function_environment`, `dashboard_config`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from werkzeug.wrappers import Request

from local.cfn import ROOT, TEMPLATE_PATH, load_template
from local.dashboard import DashboardApp
from local.functions import Functions, FunctionSpec, Invocation, function_events, function_specs
from local.http_api import HttpApiEmulator, http_api_configs
from local.jwt_auth import JwksCache, JwtAuthorizer
from local.logs import get_logger
from local.moto_server import MotoServer
from local.queues import EventSources, sqs_sources_from_stack
from local.rate_rule import RateRule
from local.schedules import Scheduler, schedules_from_stack
from local.servers import ServerThread
from local.stack import ACCOUNT_ID, REGION, LocalStack
from local.streams import StreamPoller, stream_sources_from_stack

log = get_logger("cloud")

EMULATED_EVENT_TYPES = {"HttpApi", "SQS", "DynamoDB", "Schedule", "ScheduleV2"}
DEFAULT_PORTS = {"api": 3000, "web": 8080, "moto": 5000, "spotify": 4000}
SPOTIFY_SECRET_LOGICAL_ID = "SpotifyClientSecret"  # noqa: S105 - a logical id, not a secret


@dataclass(frozen=True)
class Ports:
    api: int = 0
    web: int = 0
    moto: int = 0
    spotify: int = 0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Ports:
        """SOUNDLINK_API_PORT, SOUNDLINK_WEB_PORT, SOUNDLINK_MOTO_PORT, SOUNDLINK_SPOTIFY_PORT."""
        env = dict(os.environ if env is None else env)
        values = {}
        for name, default in DEFAULT_PORTS.items():
            raw = env.get(f"SOUNDLINK_{name.upper()}_PORT", str(default))
            if not raw.isdigit():
                raise ValueError(f"SOUNDLINK_{name.upper()}_PORT must be a port number, got {raw!r}")
            values[name] = int(raw)
        return cls(**values)


@dataclass(frozen=True)
class OwnerTokens:
    """Cognito tokens of a local owner. `headers` authorises API requests."""

    email: str
    sub: str
    id_token: str
    access_token: str
    refresh_token: str = field(repr=False, default="")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.id_token}"}


def real_spotify_credentials(env: dict[str, str] | None = None) -> tuple[str, str] | None:
    env = dict(os.environ if env is None else env)
    client_id, secret = env.get("SPOTIFY_CLIENT_ID", "").strip(), env.get("SPOTIFY_CLIENT_SECRET", "").strip()
    return (client_id, secret) if client_id and secret else None


def local_parameters(
    declared: dict[str, Any], *, api_url: str, web_url: str, spotify_url: str | None, spotify_client_id: str
) -> dict[str, str]:
    """This project's parameters as the local cloud sets them (only those the template declares)."""
    values = {
        "Stage": "dev",
        "PublicApiUrl": api_url,
        "DashboardOrigin": web_url,
        "SpotifyClientId": spotify_client_id,
        # Locally a person must see new plays at once: after a schedule run and a
        # drain every active listener has been polled (ARCHITECTURE.md, local contract).
        "PollIntervalSeconds": "0",
        # No CloudFront locally: the API is its own public URL (local/rate_rule.py plays the WAF).
        "PublicEdge": "false",
    }
    if spotify_url:
        values["SpotifyAccountsUrl"] = spotify_url
        values["SpotifyApiUrl"] = spotify_url
    chosen = {}
    for name, value in values.items():
        if name not in declared:
            continue
        allowed = declared[name].get("AllowedValues")
        if allowed and value not in [str(item) for item in allowed]:
            log.warning("parameter %s: local value %r is not allowed; using the default", name, value)
            continue
        chosen[name] = value
    return chosen


class LocalCloud:
    """template.yaml running locally (see the module docstring for the API)."""

    def __init__(
        self,
        template_path: Path | str = TEMPLATE_PATH,
        *,
        ports: Ports | dict[str, int] | None = None,
        spotify: bool | None = None,
        parameters: dict[str, Any] | None = None,
        background: bool = True,
        web_dir: Path | str | None = None,
        host: str = "127.0.0.1",
        max_workers: int = 4,
        stack_name: str = "soundlink-local",
        open_spotify_stand_in: bool = False,
    ) -> None:
        self.template_path = Path(template_path).resolve()
        self.ports = Ports(**ports) if isinstance(ports, dict) else (ports or Ports())
        self.spotify_mode = spotify
        self.open_spotify_stand_in = open_spotify_stand_in
        self.parameter_overrides = dict(parameters or {})
        self.background = background
        self.web_dir = Path(web_dir) if web_dir else ROOT / "web"
        self.host = host
        self.max_workers = max_workers
        self.stack_name = stack_name
        self.region = REGION
        self.account_id = ACCOUNT_ID

        self.spotify: Any = None
        self.spotify_client_id = ""
        self.stack: LocalStack | None = None
        self.functions: Functions | None = None
        self.scheduler: Scheduler | None = None
        self.event_sources: EventSources | None = None
        self._moto: MotoServer | None = None
        self._api_server: ServerThread | None = None
        self._web_server: ServerThread | None = None
        self._started = False
        self._stop_lock = threading.Lock()

    # ------------------------------------------------------------- URLs
    @property
    def api_url(self) -> str:
        assert self._api_server is not None, "start the local cloud first"
        return self._api_server.url

    @property
    def web_url(self) -> str:
        assert self._web_server is not None, "start the local cloud first"
        return self._web_server.url

    @property
    def moto_url(self) -> str:
        assert self._moto is not None, "start the local cloud first"
        return self._moto.url

    @property
    def spotify_url(self) -> str | None:
        return self.spotify.url if self.spotify is not None else None

    # ------------------------------------------------------------ start
    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        if self._started:
            return self
        self._started = True
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        template = load_template(self.template_path)
        # Sockets first: the stack's resources need the URLs they will be served on.
        self._api_server = ServerThread("api", self.host, self.ports.api)
        self._web_server = ServerThread("web", self.host, self.ports.web)
        self._moto = MotoServer(self.host, self.ports.moto)
        self._moto.start()
        secret_values = self._start_spotify()

        declared = template.get("Parameters") or {}
        parameters = local_parameters(
            declared,
            api_url=self.api_url,
            web_url=self.web_url,
            spotify_url=self.spotify_url,
            spotify_client_id=self.spotify_client_id,
        )
        parameters.update(self.parameter_overrides)
        self.stack = LocalStack(
            template,
            endpoint_url=self.moto_url,
            template_dir=self.template_path.parent,
            parameters=parameters,
            stack_name=self.stack_name,
            region=self.region,
            account_id=self.account_id,
            secret_values=secret_values,
            api_url=self.api_url,
            dashboard_host=f"{self.host}:{self._web_server.port}",
        )
        self.stack.provision()

        specs = function_specs(self.stack)
        for event in function_events(specs):
            if event.type not in EMULATED_EVENT_TYPES:
                log.warning("%s.%s: %s events are not emulated locally", event.function, event.name, event.type)
        self.functions = Functions(specs, endpoint_url=self.moto_url, region=self.region, max_workers=self.max_workers)
        self._api_server.app = self._http_api_app(specs)
        self._web_server.app = DashboardApp(self.web_dir, self.dashboard_config)

        self.scheduler = Scheduler(
            schedules_from_stack(self.stack, specs),
            self._invoke_for_schedule,
            region=self.region,
            account_id=self.account_id,
        )
        self.event_sources = EventSources(
            sqs_sources_from_stack(self.stack, specs),
            self.functions,
            lambda: self.stack.client("sqs"),  # type: ignore[union-attr]
            self.region,
            stream_pollers=[
                StreamPoller(source, self.functions, self.stack.client("dynamodbstreams"))
                for source in stream_sources_from_stack(self.stack, specs)
                if source.enabled and source.function in self.functions
            ],
        )
        self._api_server.start()
        self._web_server.start()
        if self.background:
            self.scheduler.start()
            self.event_sources.start()
        log.info(
            "ready: API %s, dashboard %s, moto %s%s (%d functions, %d schedules, %d SQS sources)",
            self.api_url,
            self.web_url,
            self.moto_url,
            f", Spotify emulator {self.spotify_url}" if self.spotify_url else "",
            len(specs),
            len(self.scheduler.schedules),
            len(self.event_sources.pollers),
        )

    def _start_spotify(self) -> dict[str, str]:
        """Start the emulator and register this API's app in it; returns secret values."""
        real = real_spotify_credentials()
        use_emulator = self.spotify_mode if self.spotify_mode is not None else real is None
        if not use_emulator:
            if real is None:
                log.info("Spotify: no emulator and no SPOTIFY_CLIENT_ID/SPOTIFY_CLIENT_SECRET: Spotify calls will fail")
                return {}
            self.spotify_client_id = real[0]
            log.info("Spotify: using the real Spotify with client id %s", real[0])
            return {SPOTIFY_SECRET_LOGICAL_ID: real[1]}
        try:
            from local.spotify_emulator import start_emulator
        except ImportError as error:
            log.warning("Spotify emulator unavailable (%s): Spotify calls will fail", error)
            return {}
        self.spotify = start_emulator(self.host, self.ports.spotify)
        redirect_uri = f"{self.api_url}/oauth/callback"
        response = requests.post(
            f"{self.spotify.url}/_emulator/apps",
            json={"redirect_uris": [redirect_uri], "name": "Soundlink (local)"},
            timeout=10,
        )
        response.raise_for_status()
        app = response.json()
        self.spotify_client_id = app["client_id"]
        return {SPOTIFY_SECRET_LOGICAL_ID: app["client_secret"]}

    def _http_api_app(self, specs: dict[str, FunctionSpec]) -> Any:
        assert self.stack is not None and self.functions is not None
        configs = http_api_configs(self.stack, specs)
        if not configs:
            log.warning("the template has no HTTP API: the API port answers 404")
            from local.http_api import HttpApiConfig

            configs = [HttpApiConfig("none", "none")]
        config = max(configs, key=lambda api: len(api.routes))
        for other in configs:
            if other is not config and other.routes:
                log.warning("only one HTTP API is served locally: %s is left out", other.logical_id)
        jwks = JwksCache()
        authorizers = {
            name: JwtAuthorizer(authorizer, self._jwks_url_for, jwks=jwks)
            for name, authorizer in config.authorizers.items()
        }
        for route in sorted(config.routes, key=lambda r: r.route_key):
            auth = f"  [{route.authorizer}]" if route.authorizer else ""
            log.debug("route %-40s -> %s%s", route.route_key, route.function, auth)
        control = {
            "/_local/schedules/run": self._control_run_schedules,
            "/_local/queues/drain": self._control_drain,
        }
        limit = self.stack.resolver.parameters.get("PublicRateLimit")
        rate_rule = RateRule(int(limit)) if limit not in (None, "") else None
        return HttpApiEmulator(
            config,
            self.functions,
            authorizers,
            account_id=self.account_id,
            control_routes=control,
            rate_rule=rate_rule,
            open_spotify_base=self._open_spotify_base(),
        )

    def _open_spotify_base(self) -> str | None:
        return f"{self.spotify_url}/open/" if self.open_spotify_stand_in and self.spotify_url else None

    def use_open_spotify_stand_in(self, on: bool = True) -> None:
        """Send people to the emulator's open.spotify.com stand-in (on) or to the real links (off)."""
        self.open_spotify_stand_in = on
        if self._api_server is not None and hasattr(self._api_server.app, "open_spotify_base"):
            self._api_server.app.open_spotify_base = self._open_spotify_base()

    def _jwks_url_for(self, issuer: str) -> str | None:
        assert self.stack is not None
        for resource in self.stack.of_type("AWS::Cognito::UserPool").values():
            if issuer.rstrip("/") == resource.attributes.get("ProviderURL"):
                return f"{self.moto_url}/{resource.ref}/.well-known/jwks.json"
        return None

    # ------------------------------------------------------------- stop
    def stop(self) -> None:
        """Stop everything that started; safe to call twice."""
        with self._stop_lock:
            for step in (
                # Flags first, then the functions: every thread waiting on an
                # invocation (pollers, schedules, requests) returns at once.
                lambda: self.scheduler and self.scheduler.request_stop(),
                lambda: self.event_sources and self.event_sources.request_stop(),
                lambda: self.functions and self.functions.stop(),
                lambda: self.scheduler and self.scheduler.stop(),
                lambda: self.event_sources and self.event_sources.stop(),
                lambda: self._api_server and self._api_server.stop(),
                lambda: self._web_server and self._web_server.stop(),
                lambda: self.spotify and self.spotify.stop(),
                lambda: self._moto and self._moto.stop(),
            ):
                try:
                    step()
                except Exception:
                    log.exception("while stopping the local cloud")
            self.scheduler = self.event_sources = None
            self.spotify = None
            self._started = False

    # ---------------------------------------------------------- helpers
    def client(self, service: str) -> Any:
        """A boto3 client of the local moto server."""
        assert self.stack is not None, "start the local cloud first"
        return self.stack.client(service)

    def physical_id(self, logical_id: str) -> Any:
        """The Ref value of a resource (table name, queue URL, pool id, ...)."""
        assert self.stack is not None, "start the local cloud first"
        return self.stack.resources[logical_id].ref

    def function_environment(self, function: str) -> dict[str, str]:
        """The environment the function's workers run with."""
        assert self.functions is not None, "start the local cloud first"
        return dict(self.functions.get(function).env)

    def invoke(self, function: str, event: Any) -> Invocation:
        """Invoke a function directly (logical id, name or ARN), like `aws lambda invoke`."""
        assert self.functions is not None, "start the local cloud first"
        return self.functions.invoke(function, event, source="direct")

    def run_schedules(self) -> list[dict[str, Any]]:
        """Fire every enabled schedule once, now; returns [{schedule, function, ok}]."""
        assert self.scheduler is not None, "start the local cloud first"
        return self.scheduler.run_all()

    def drain_queues(self, timeout: float = 60.0, wait_for_retries: bool = True) -> dict[str, Any]:
        """Deliver queued messages until every source queue is empty: {processed, failed, remaining, timed_out}."""
        assert self.event_sources is not None, "start the local cloud first"
        return self.event_sources.drain(timeout=timeout, wait_for_retries=wait_for_retries)

    def _invoke_for_schedule(self, schedule: Any, event: Any) -> bool:
        assert self.functions is not None
        return self.functions.invoke(schedule.function, event, source=f"schedule {schedule.name}").ok

    def _control_run_schedules(self, request: Request) -> tuple[int, Any]:
        return 200, {"fired": self.run_schedules()}

    def _control_drain(self, request: Request) -> tuple[int, Any]:
        options = request.get_json(silent=True) or {}
        if not isinstance(options, dict):
            return 400, {"message": "the body must be a JSON object"}
        try:
            timeout = float(options.get("timeout_seconds", 60))
        except (TypeError, ValueError):
            return 400, {"message": "timeout_seconds must be a number"}
        if not 0 < timeout <= 600:
            return 400, {"message": "timeout_seconds must be between 0 and 600"}
        wait = options.get("wait_for_retries", True) is not False
        return 200, self.drain_queues(timeout=timeout, wait_for_retries=wait)

    # ------------------------------------------------------------ owners
    def _owner_pool(self) -> tuple[str, str]:
        """(user pool id, app client id) owners sign in with: the API's JWT audience."""
        assert self.stack is not None, "start the local cloud first"
        pools = self.stack.of_type("AWS::Cognito::UserPool")
        clients = self.stack.of_type("AWS::Cognito::UserPoolClient")
        if not pools or not clients:
            raise RuntimeError("the template has no Cognito user pool and client")
        api = self._api_server.app if self._api_server else None
        for authorizer in getattr(api, "authorizers", {}).values():
            for pool in pools.values():
                if authorizer.config.issuer == pool.attributes.get("ProviderURL"):
                    for client in clients.values():
                        if client.ref in authorizer.config.audiences:
                            return str(pool.ref), str(client.ref)
        return str(next(iter(pools.values())).ref), str(next(iter(clients.values())).ref)

    def dashboard_config(self) -> dict[str, Any]:
        """What the dashboard reads from /config.json."""
        try:
            pool_id, client_id = self._owner_pool()
        except RuntimeError:
            pool_id = client_id = ""
        return {
            "apiUrl": self.api_url,
            # Owners sign up from the dashboard locally unless a test asks for OwnerSignUp=invite.
            "signUp": self.parameter_overrides.get("OwnerSignUp", "open") == "open",
            "cognito": {"region": self.region, "userPoolId": pool_id, "clientId": client_id, "endpoint": self.moto_url},
            # The local user pool sends no email and accepts any confirmation code: the dashboard says so.
            "local": True,
        }

    def create_owner(self, email: str, password: str) -> OwnerTokens:
        """Create (or reset) a confirmed owner in the local user pool and sign in."""
        pool_id, _ = self._owner_pool()
        if not create_owner(self.client("cognito-idp"), pool_id, email, password):
            log.info("owner %s exists already: its password is reset", email)
        return self.sign_in(email, password)

    def sign_in(self, email: str, password: str) -> OwnerTokens:
        """Tokens of an owner of the local user pool (USER_PASSWORD_AUTH)."""
        _, client_id = self._owner_pool()
        return sign_in(self.client("cognito-idp"), client_id, email, password)


def create_owner(cognito: Any, pool_id: str, email: str, password: str) -> bool:
    """Create a confirmed owner (email verified, permanent password) in the user pool.

    An owner who exists already gets `password`; returns False then, True for a new one.
    """
    created = True
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
    except cognito.exceptions.UsernameExistsException:
        created = False
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    return created


def sign_in(cognito: Any, client_id: str, email: str, password: str) -> OwnerTokens:
    """Tokens of an owner of the user pool (USER_PASSWORD_AUTH)."""
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]
    user = cognito.get_user(AccessToken=result["AccessToken"])
    attributes = {item["Name"]: item["Value"] for item in user.get("UserAttributes", [])}
    return OwnerTokens(
        email=email,
        sub=attributes.get("sub", ""),
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken", ""),
    )
