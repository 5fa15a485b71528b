"""A small LTI 1.3 Advantage platform (an LMS, as far as a tool can tell) for the tests.

It runs on 127.0.0.1 in a thread of the test process, signs real RS256 id_tokens with its own real keys
(and rotates them), and implements what a tool talks to: OIDC authorization (login initiation → auth →
form_post of the id_token), its JWKS, the OAuth 2 client-credentials token endpoint that checks the tool's
signed client assertion against the tool's JWKS, Assignment and Grade Services (line items, scores, with
refusals for an unpublished course or a closed line item), Names and Role Provisioning (paged), the deep
linking return endpoint (checks the tool's signed response and creates the resource links and line items
it asks for), LTI Dynamic Registration (openid-configuration + registration endpoint), and an HTML course
page that launches the tool inside an iframe, as Moodle and Canvas do.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
SCOPES = {
    "lineitem": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "lineitem.readonly": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "score": "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "nrps": "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def new_key() -> dict:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = JWK.from_pem(pem)
    public = json.loads(jwk.export_public())
    kid = uuid.uuid4().hex[:12]
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return {"kid": kid, "pem": pem, "public": public}


@dataclass
class LmsContext:
    context_id: str
    title: str
    published: bool = True
    members: list[dict] = field(default_factory=list)
    lineitems: dict[str, dict] = field(default_factory=dict)
    scores: dict[str, list[dict]] = field(default_factory=dict)
    links: list[dict] = field(default_factory=list)
    lineitem_posts: int = 0


class Platform:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.keys = [new_key()]
        self.published_keys = list(self.keys)
        self.clients: dict[str, dict] = {}
        self.contexts: dict[str, LmsContext] = {}
        self.pending: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.registration_tokens: set[str] = set()
        self.jwks_requests = 0
        self.token_requests = 0
        self.fail_scores_with: list[int] = []  # statuses to answer score posts with, one per post, first
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        # ``host`` names the issuer (it listens on 127.0.0.1 either way): "localhost" puts it on the same
        # site as pytest-django's live server, for browser tests over plain http.
        self.issuer = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- set-up ---------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.issuer + path

    def add_tool(self, tool_base: str, client_id: str = "tool-1", deployment_id: str = "dep-1") -> dict:
        client = {
            "client_id": client_id,
            "deployment_ids": {deployment_id},
            "login_url": f"{tool_base}/lti/login/",
            "redirect_uris": [f"{tool_base}/lti/launch/"],
            "jwks_uri": f"{tool_base}/lti/jwks/",
        }
        self.clients[client_id] = client
        return client

    def registration_args(self, client_id: str = "tool-1", deployment_id: str = "dep-1") -> dict:
        return {
            "issuer": self.issuer,
            "client_id": client_id,
            "deployment_ids": [deployment_id],
            "auth_login_url": self.url("/auth"),
            "auth_token_url": self.url("/token"),
            "keyset_url": self.url("/jwks"),
        }

    def add_context(self, context_id: str, title: str, members: list[dict]) -> LmsContext:
        context = LmsContext(context_id, title, members=[{"status": "Active", **m} for m in members])
        self.contexts[context_id] = context
        return context

    def rotate_keys(self, keep_old: bool = True) -> None:
        self.keys.insert(0, new_key())
        self.published_keys = list(self.keys) if keep_old else [self.keys[0]]

    # -- launches -------------------------------------------------------------------------------------
    def login_params(
        self,
        *,
        user: str,
        context_id: str,
        client_id: str = "tool-1",
        deployment_id: str = "dep-1",
        message_type: str = "LtiResourceLinkRequest",
        custom: dict | None = None,
        resource_link: str = "rl-1",
        tamper: dict | None = None,
    ) -> dict:
        """What the LMS's page posts to the tool's login initiation URL; the launch itself is kept here
        (``tamper`` changes the id_token that /auth will sign: for refusal tests)."""
        hint = secrets.token_hex(8)
        self.pending[hint] = {
            "user": user,
            "context_id": context_id,
            "client_id": client_id,
            "deployment_id": deployment_id,
            "message_type": message_type,
            "custom": custom or {},
            "resource_link": resource_link,
            "tamper": tamper or {},
        }
        return {
            "iss": self.issuer,
            "login_hint": user,
            "lti_message_hint": hint,
            "target_link_uri": self.clients[client_id]["redirect_uris"][0],
            "client_id": client_id,
            "lti_deployment_id": deployment_id,
        }

    def member(self, context_id: str, user: str) -> dict:
        return next(m for m in self.contexts[context_id].members if m["user_id"] == user)

    def id_token(self, launch: dict, nonce: str) -> str:
        context = self.contexts[launch["context_id"]]
        person = self.member(launch["context_id"], launch["user"])
        now = int(time.time())
        tamper = launch["tamper"]
        claims = {
            "iss": self.issuer,
            "aud": tamper.get("aud", launch["client_id"]),
            "sub": person["user_id"],
            "iat": now + tamper.get("iat", 0),
            "exp": now + tamper.get("exp", 300),
            "nonce": nonce,
            "name": person.get("name", ""),
            "given_name": person.get("given_name", ""),
            "family_name": person.get("family_name", ""),
            "email": person.get("email", ""),
            LTI + "message_type": launch["message_type"],
            LTI + "version": "1.3.0",
            LTI + "deployment_id": tamper.get("deployment_id", launch["deployment_id"]),
            LTI + "target_link_uri": self.clients[launch["client_id"]]["redirect_uris"][0],
            LTI + "roles": person["roles"],
            LTI + "context": {"id": context.context_id, "title": context.title, "label": context.context_id},
            LTI + "custom": launch["custom"],
            AGS: {
                "scope": [SCOPES["lineitem"], SCOPES["lineitem.readonly"], SCOPES["score"]],
                "lineitems": self.url(f"/contexts/{context.context_id}/lineitems"),
            },
            NRPS: {
                "context_memberships_url": self.url(f"/contexts/{context.context_id}/memberships"),
                "service_versions": ["2.0"],
            },
        }
        if launch["message_type"] == "LtiDeepLinkingRequest":
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": self.url(f"/contexts/{context.context_id}/deep-link-return"),
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "data": "opaque-platform-data",
            }
        else:
            claims[LTI + "resource_link"] = {"id": launch["resource_link"], "title": "Linked item"}
        key = new_key() if tamper.get("foreign_key") else self.keys[0]
        return jwt.encode(claims, key["pem"], algorithm="RS256", headers={"kid": self.keys[0]["kid"]})

    # -- what the tool's messages to us are checked against ------------------------------------------
    def tool_key(self, client_id: str, token: str) -> object:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = requests.get(self.clients[client_id]["jwks_uri"], timeout=5).json()["keys"]
        for key in keys:
            if key.get("kid") == kid:
                return jwt.PyJWK(key).key
        raise ValueError(f"tool key {kid} not in its JWKS")


def _handler(platform: Platform):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        # plumbing
        def _send(self, status: int, body, content_type="application/json", headers=None) -> None:
            data = (
                body
                if isinstance(body, bytes)
                else (json.dumps(body) if not isinstance(body, str) else body).encode()
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _form(self) -> dict:
            return {k: v[0] for k, v in parse_qs(self._body().decode()).items()}

        def _bearer(self, scope: str) -> dict | None:
            token = platform.tokens.get(self.headers.get("Authorization", "").removeprefix("Bearer "))
            if token is None or scope not in token["scopes"]:
                self._send(401, {"message": "invalid or missing access token for " + scope})
                return None
            return token

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            path = parts.path.strip("/").split("/")
            if parts.path == "/jwks":
                platform.jwks_requests += 1
                return self._send(200, {"keys": [k["public"] for k in platform.published_keys]})
            if parts.path == "/auth":
                return self._auth(query)
            if parts.path == "/.well-known/openid-configuration":
                return self._send(200, _openid_configuration(platform))
            if parts.path == "/launch-frame":
                return self._launch_frame(query)
            if len(path) >= 3 and path[0] == "contexts":
                context = platform.contexts.get(path[1])
                if context is None:
                    return self._send(404, {"message": "no such context"})
                if path[2] == "lineitems" and len(path) == 3:
                    if self._bearer(SCOPES["lineitem"]) is None:
                        return None
                    return self._send(200, list(context.lineitems.values()))
                if path[2] == "lineitems" and len(path) == 4:
                    return self._send(200, context.lineitems[path[3]])
                if path[2] == "memberships":
                    return self._memberships(context, int(query.get("page", "0")))
                if path[2] == "page":
                    return self._course_page(context, query)
            return self._send(404, {"message": "not found"})

        def do_POST(self) -> None:
            path = urlsplit(self.path).path.strip("/").split("/")
            if path == ["token"]:
                return self._token(self._form())
            if path == ["register"]:
                return self._register()
            if len(path) >= 3 and path[0] == "contexts":
                context = platform.contexts[path[1]]
                if path[2] == "lineitems" and len(path) == 3:
                    if self._bearer(SCOPES["lineitem"]) is None:
                        return None
                    return self._create_lineitem(context, json.loads(self._body()))
                if path[2] == "lineitems" and len(path) == 5 and path[4] == "scores":
                    if self._bearer(SCOPES["score"]) is None:
                        return None
                    return self._score(context, path[3], json.loads(self._body()))
                if path[2] == "deep-link-return":
                    return self._deep_link_return(context, self._form())
            return self._send(404, {"message": "not found"})

        # OIDC
        def _auth(self, query: dict) -> None:
            launch = platform.pending.get(query.get("lti_message_hint", ""))
            client = platform.clients.get(query.get("client_id", ""))
            problems = []
            if launch is None:
                problems.append("unknown lti_message_hint")
            if client is None or query.get("redirect_uri") not in client["redirect_uris"]:
                problems.append("client_id / redirect_uri not registered")
            if query.get("scope") != "openid" or query.get("response_type") != "id_token":
                problems.append("not an OIDC implicit id_token request")
            if query.get("response_mode") != "form_post" or not query.get("nonce") or not query.get("state"):
                problems.append("form_post, nonce and state are required")
            if launch and query.get("login_hint") != launch["user"]:
                problems.append("login_hint does not match")
            if problems:
                return self._send(400, {"message": "; ".join(problems)})
            token = platform.id_token(launch, query["nonce"])
            fields = {"id_token": token, "state": query["state"]}
            inputs = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in fields.items()
            )
            page = (
                f'<form id="f" method="post" action="{html.escape(query["redirect_uri"])}">{inputs}</form>'
                '<script>document.getElementById("f").submit()</script>'
            )
            return self._send(200, page, "text/html")

        def _token(self, form: dict) -> None:
            platform.token_requests += 1
            assertion = form.get("client_assertion", "")
            try:
                client_id = jwt.decode(assertion, options={"verify_signature": False})["iss"]
                claims = jwt.decode(
                    assertion,
                    platform.tool_key(client_id, assertion),
                    algorithms=["RS256"],
                    audience=platform.url("/token"),
                    issuer=client_id,
                )
            except Exception as error:  # noqa: BLE001 - any defect of the assertion is the client's
                return self._send(401, {"error": "invalid_client", "error_description": str(error)})
            if form.get("grant_type") != "client_credentials" or claims.get("sub") != client_id:
                return self._send(400, {"error": "invalid_request"})
            access = secrets.token_hex(16)
            scopes = set(form.get("scope", "").split())
            platform.tokens[access] = {"client_id": client_id, "scopes": scopes}
            return self._send(200, {"access_token": access, "token_type": "Bearer", "expires_in": 3600})

        # AGS
        def _create_lineitem(self, context: LmsContext, data: dict) -> None:
            context.lineitem_posts += 1
            return self._send(
                201, _new_lineitem(platform, context, data), "application/vnd.ims.lis.v2.lineitem+json"
            )

        def _score(self, context: LmsContext, lineitem_id: str, score: dict) -> None:
            if platform.fail_scores_with:
                status = platform.fail_scores_with.pop(0)
                return self._send(status, {"message": "temporarily unavailable"})
            if not context.published:
                return self._send(422, {"message": "Course is unpublished: grades cannot be posted"})
            lineitem = context.lineitems.get(lineitem_id)
            if lineitem is None:
                return self._send(404, {"message": "no such line item"})
            if lineitem.get("closed"):
                return self._send(403, {"message": "This assignment is closed for grading"})
            if score["userId"] not in {m["user_id"] for m in context.members}:
                return self._send(422, {"message": "user is not in this course"})
            if score["scoreGiven"] > score["scoreMaximum"]:
                return self._send(400, {"message": "scoreGiven exceeds scoreMaximum"})
            context.scores.setdefault(lineitem_id, []).append(score)
            return self._send(200, {})

        # NRPS, paged two members at a time with a Link header
        def _memberships(self, context: LmsContext, page: int) -> None:
            if self._bearer(SCOPES["nrps"]) is None:
                return None
            members = context.members[page * 2 : page * 2 + 2]
            headers = {}
            if (page + 1) * 2 < len(context.members):
                next_url = platform.url(f"/contexts/{context.context_id}/memberships?page={page + 1}")
                headers["Link"] = f'<{next_url}>; rel="next"'
            body = {"id": self.path, "context": {"id": context.context_id}, "members": members}
            return self._send(200, body, "application/vnd.ims.lti-nrps.v2.membershipcontainer+json", headers)

        # Deep linking return: the tool's signed LtiDeepLinkingResponse
        def _deep_link_return(self, context: LmsContext, form: dict) -> None:
            token = form.get("JWT", "")
            client_id = jwt.decode(token, options={"verify_signature": False})["iss"]
            try:
                claims = jwt.decode(
                    token, platform.tool_key(client_id, token), algorithms=["RS256"], audience=platform.issuer
                )
            except Exception as error:  # noqa: BLE001
                return self._send(400, f"<p id=dl-error>{html.escape(str(error))}</p>", "text/html")
            assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
            assert claims[DL + "data"] == "opaque-platform-data"
            for item in claims[DL + "content_items"]:
                link = dict(item)
                if "lineItem" in item:
                    link["lineitem"] = _new_lineitem(platform, context, item["lineItem"])["id"]
                context.links.append(link)
            return self._send(
                200, f"<p id=dl-done>{len(context.links)} link(s) in the course</p>", "text/html"
            )

        # Dynamic registration
        def _register(self) -> None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in platform.registration_tokens:
                return self._send(401, {"message": "bad registration token"})
            platform.registration_tokens.discard(token)
            request = json.loads(self._body())
            client_id = "dyn-" + secrets.token_hex(4)
            base = request["initiate_login_uri"].removesuffix("/lti/login/")
            client = platform.add_tool(base, client_id=client_id, deployment_id="dyn-dep-1")
            client["registration"] = request
            answer = dict(request, client_id=client_id)
            answer["https://purl.imsglobal.org/spec/lti-tool-configuration"] = dict(
                request["https://purl.imsglobal.org/spec/lti-tool-configuration"], deployment_id="dyn-dep-1"
            )
            return self._send(200, answer)

        # A course page that launches the tool in an iframe (what Moodle and Canvas show a student)
        def _course_page(self, context: LmsContext, query: dict) -> None:
            frame = platform.url("/launch-frame?" + urlencode(query))
            page = f"<h1>{html.escape(context.title)}</h1><iframe id=tool src='{frame}' width=1200 height=800></iframe>"
            return self._send(200, page, "text/html")

        def _launch_frame(self, query: dict) -> None:
            params = platform.login_params(
                user=query["user"], context_id=query["context"], custom={"item": query.get("item", "")}
            )
            login_url = platform.clients[params["client_id"]]["login_url"]
            inputs = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in params.items()
            )
            page = (
                f'<form id="f" method="post" action="{login_url}">{inputs}</form>'
                '<script>document.getElementById("f").submit()</script>'
            )
            return self._send(200, page, "text/html")

    return Handler


def _new_lineitem(platform: Platform, context: LmsContext, data: dict) -> dict:
    lineitem_id = str(len(context.lineitems) + 1)
    lineitem = dict(data, id=platform.url(f"/contexts/{context.context_id}/lineitems/{lineitem_id}"))
    context.lineitems[lineitem_id] = lineitem
    return lineitem


def _openid_configuration(platform: Platform) -> dict:
    return {
        "issuer": platform.issuer,
        "authorization_endpoint": platform.url("/auth"),
        "token_endpoint": platform.url("/token"),
        "jwks_uri": platform.url("/jwks"),
        "registration_endpoint": platform.url("/register"),
        "scopes_supported": ["openid", *SCOPES.values()],
        "response_types_supported": ["id_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "test-lms",
            "version": "1.0",
            "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
        },
    }
