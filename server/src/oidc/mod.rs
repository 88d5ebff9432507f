//! Sign-in through an institution's OpenID provider (law 2 without local passwords).
//!
//! The authorization code flow with PKCE (S256), `state` and `nonce`, through the
//! `openidconnect` crate. [`Providers::begin`] discovers the provider (cached; discovered
//! again when a token names a key the cached set lacks, so key rotation works) and returns the
//! URL to send the browser to with the [`Flow`] the session keeps. [`Providers::finish`] takes
//! that flow back exactly once, checks `state` (in constant time) and the `iss` parameter,
//! exchanges the code with the PKCE verifier, and validates the ID token: signature against
//! the provider's keys, issuer, audience, expiry (on the platform's clock) and nonce, plus the
//! access-token hash when present. Every refusal has a [`Refusal`] code for the audit log.
//! An identity is only an (issuer, subject) pair: who it is stays for an administrator to
//! decide ([`store`]), and email claims are never used to link.

pub mod routes;
pub mod store;

use crate::clock::Clock;
use crate::config::OidcProvider;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdToken};
use openidconnect::{
    AccessTokenHash, AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EmptyAdditionalClaims, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope, SignatureVerificationError, TokenResponse,
    UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tokio::sync::RwLock;

/// The cookie that carries a flow begun and not yet finished, sealed. Not the session: the
/// session cookie is `SameSite=Strict`, so the browser does not send it on the provider's
/// redirect back; this one is `Lax`, limited to `/signin/oidc/`, and lives ten minutes.
pub const FLOW_COOKIE: &str = "tre_oidc_flow";
/// How long a flow may take, in seconds.
pub const FLOW_SECONDS: i64 = 600;
/// The session key of the provider that signed the session in (for sign-out at the provider).
pub const SIGNED_IN_BY_KEY: &str = "oidc_signed_in_by";
/// The session key of the ID token, sent back as `id_token_hint` at sign-out.
pub const ID_TOKEN_KEY: &str = "oidc_id_token";

/// What the session keeps between sending the browser to the provider and its return.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flow {
    /// The provider's short name.
    pub provider: String,
    /// The `state` sent.
    pub state: String,
    /// The `nonce` sent.
    pub nonce: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// When it began (Unix seconds, platform clock).
    pub began: i64,
}

/// The query string of the callback.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    /// The authorization code.
    pub code: Option<String>,
    /// The state echoed back.
    pub state: Option<String>,
    /// The issuer (RFC 9207), when the provider sends it.
    pub iss: Option<String>,
    /// An error code from the provider.
    pub error: Option<String>,
}

/// A sign-in the provider vouched for and every check passed.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The issuer.
    pub issuer: String,
    /// The subject: with the issuer, the identity.
    pub subject: String,
    /// The email claim, for the administrator's eyes only.
    pub email: Option<String>,
    /// The name claim, likewise.
    pub name: Option<String>,
    /// `amr` values.
    pub amr: Vec<String>,
    /// The `acr` value.
    pub acr: Option<String>,
    /// Whether the provider's `amr` or `acr` shows MFA that this provider is trusted for.
    pub mfa: bool,
    /// The ID token as received (for `id_token_hint` at sign-out).
    pub id_token: String,
}

/// Why a sign-in through a provider was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such provider is configured.
    UnknownProvider,
    /// The provider could not be reached or its discovery document was unusable.
    Unavailable(String),
    /// The callback's `state` was missing, wrong or already used.
    BadState,
    /// The provider returned an error (for example `access_denied`).
    ProviderError(String),
    /// The callback's `iss` or the token's issuer is not the provider's.
    WrongIssuer,
    /// The code could not be exchanged.
    CodeRejected(String),
    /// The token response carried no ID token, or one that does not parse.
    InvalidToken(String),
    /// The ID token is for another client.
    WrongAudience,
    /// The ID token has expired.
    Expired,
    /// The nonce does not match the one sent.
    NonceMismatch,
    /// The ID token is not signed.
    Unsigned,
    /// The ID token is signed by a key the provider does not publish.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// The access token does not belong to the ID token.
    AccessTokenMismatch,
}

impl Refusal {
    /// The reason recorded in the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownProvider => "unknown_provider",
            Refusal::Unavailable(_) => "provider_unavailable",
            Refusal::BadState => "bad_state",
            Refusal::ProviderError(_) => "provider_error",
            Refusal::WrongIssuer => "wrong_issuer",
            Refusal::CodeRejected(_) => "code_rejected",
            Refusal::InvalidToken(_) => "invalid_token",
            Refusal::WrongAudience => "wrong_audience",
            Refusal::Expired => "expired_token",
            Refusal::NonceMismatch => "nonce_mismatch",
            Refusal::Unsigned => "unsigned_token",
            Refusal::UnknownKey => "unknown_key",
            Refusal::BadSignature => "bad_signature",
            Refusal::AccessTokenMismatch => "access_token_mismatch",
        }
    }

    /// What the person is told.
    pub fn message(&self) -> crate::i18n::Says {
        match self {
            Refusal::UnknownProvider => crate::says!("oidc-unknown-provider"),
            Refusal::Unavailable(_) => crate::says!("oidc-unavailable"),
            Refusal::BadState => crate::says!("oidc-bad-state"),
            Refusal::ProviderError(e) => crate::says!("oidc-provider-error", problem = e),
            _ => crate::says!("oidc-failed-checks"),
        }
    }

    /// Details for the audit log (never a token or a secret).
    pub fn detail(&self) -> Option<&str> {
        match self {
            Refusal::Unavailable(d)
            | Refusal::ProviderError(d)
            | Refusal::CodeRejected(d)
            | Refusal::InvalidToken(d) => Some(d),
            _ => None,
        }
    }
}

struct Provider {
    config: OidcProvider,
    redirect: String,
    metadata: RwLock<Option<Arc<ProviderMetadataWithLogout>>>,
}

/// The configured providers, their discovered metadata, and the HTTP client that reaches them.
pub struct Providers {
    http: reqwest::Client,
    list: Vec<Provider>,
    clock: Arc<dyn Clock>,
    public_base: String,
    /// Seals flows in their cookie; a new key at each start (a restart means starting again).
    flow_key: [u8; 32],
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.list.iter().map(|p| &p.config.name)).finish()
    }
}

type Claims = openidconnect::IdTokenClaims<EmptyAdditionalClaims, CoreGenderClaim>;

/// A client made from discovered metadata: authorization and token endpoints set, userinfo
/// as the provider offers it.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

impl Providers {
    /// The providers of `configs`, with callbacks under `public_base` unless configured.
    pub fn new(configs: &[OidcProvider], public_base: &str, clock: Arc<dyn Clock>) -> anyhow::Result<Providers> {
        // Following redirects would open the client to server-side request forgery.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        let list = configs
            .iter()
            .map(|c| Provider {
                redirect: c.redirect_url.clone().unwrap_or_else(|| {
                    format!("{}/signin/oidc/{}/callback", public_base.trim_end_matches('/'), c.name)
                }),
                config: c.clone(),
                metadata: RwLock::new(None),
            })
            .collect();
        Ok(Providers {
            http,
            list,
            clock,
            public_base: public_base.trim_end_matches('/').to_string(),
            flow_key: rand::random(),
        })
    }

    /// A flow sealed for its cookie: nonce and ciphertext, base64url.
    pub fn seal(&self, flow: &Flow) -> String {
        use base64::Engine;
        use chacha20poly1305::aead::{Aead, KeyInit};
        let cipher = chacha20poly1305::ChaCha20Poly1305::new((&self.flow_key).into());
        let nonce: [u8; 12] = rand::random();
        let plain = serde_json::to_vec(flow).unwrap_or_default();
        let sealed = cipher.encrypt((&nonce).into(), plain.as_slice()).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat())
    }

    /// The flow in a cookie's value, if it was sealed here and is not too old.
    pub fn open(&self, value: &str) -> Option<Flow> {
        use base64::Engine;
        use chacha20poly1305::aead::{Aead, KeyInit};
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let cipher = chacha20poly1305::ChaCha20Poly1305::new((&self.flow_key).into());
        let plain = cipher.decrypt(nonce.into(), sealed).ok()?;
        let flow: Flow = serde_json::from_slice(&plain).ok()?;
        let age = self.clock.now().unix_timestamp() - flow.began;
        (0..=FLOW_SECONDS).contains(&age).then_some(flow)
    }

    /// The configured providers: short name and label.
    pub fn offered(&self) -> Vec<(String, String)> {
        self.list.iter().map(|p| (p.config.name.clone(), p.config.label.clone())).collect()
    }

    fn provider(&self, name: &str) -> Result<&Provider, Refusal> {
        self.list.iter().find(|p| p.config.name == name).ok_or(Refusal::UnknownProvider)
    }

    /// Tries to discover every provider (at start, so `/readyz` can tell); a provider that is
    /// down is logged and tried again at the next sign-in.
    pub async fn discover_all(&self) {
        for p in &self.list {
            let _ = self.metadata(p, false).await;
        }
    }

    /// What `/readyz` says: the providers not discovered yet.
    pub async fn readiness(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for p in &self.list {
            if p.metadata.read().await.is_none() {
                missing.push(p.config.name.clone());
            }
        }
        missing
    }

    async fn metadata(&self, p: &Provider, refresh: bool) -> Result<Arc<ProviderMetadataWithLogout>, Refusal> {
        if !refresh && let Some(m) = p.metadata.read().await.as_ref() {
            return Ok(m.clone());
        }
        let issuer = IssuerUrl::new(p.config.issuer.clone()).map_err(|e| Refusal::Unavailable(e.to_string()))?;
        let found = ProviderMetadataWithLogout::discover_async(issuer, &self.http).await.map_err(|e| {
            let mut cause = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                cause = format!("{cause}: {s}");
                source = s.source();
            }
            tracing::warn!(
                provider = %p.config.name, error.cause = %cause,
                "OpenID provider discovery failed; sign-ins through it are refused until it answers"
            );
            Refusal::Unavailable(cause)
        })?;
        let found = Arc::new(found);
        *p.metadata.write().await = Some(found.clone());
        Ok(found)
    }

    fn client(p: &Provider, metadata: &ProviderMetadataWithLogout) -> Result<Client, Refusal> {
        let redirect = RedirectUrl::new(p.redirect.clone()).map_err(|e| Refusal::Unavailable(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(p.config.client_id.clone()),
            Some(ClientSecret::new(p.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in at `provider`: the URL to send the browser to, and the flow for the
    /// session.
    pub async fn begin(&self, provider: &str) -> Result<(String, Flow), Refusal> {
        let p = self.provider(provider)?;
        let metadata = self.metadata(p, false).await?;
        let client = Self::client(p, &metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request =
            client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
        for scope in &p.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(acr) = &p.config.request_acr {
            request = request.add_auth_context_value(AuthenticationContextClass::new(acr.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let flow = Flow {
            provider: provider.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            began: self.clock.now().unix_timestamp(),
        };
        Ok((url.to_string(), flow))
    }

    /// Finishes a sign-in: `flow` is the one the browser's flow cookie held (the callback
    /// clears it, so a replayed callback finds none).
    pub async fn finish(&self, provider: &str, flow: Option<Flow>, callback: &Callback) -> Result<Verified, Refusal> {
        let p = self.provider(provider)?;
        let flow = flow.filter(|f| f.provider == provider).ok_or(Refusal::BadState)?;
        let state_ok = callback.state.as_deref().is_some_and(|s| bool::from(s.as_bytes().ct_eq(flow.state.as_bytes())));
        if !state_ok {
            return Err(Refusal::BadState);
        }
        if let Some(error) = &callback.error {
            let plain: String =
                error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect::<String>();
            return Err(Refusal::ProviderError(plain));
        }
        if callback.iss.as_ref().is_some_and(|iss| *iss != p.config.issuer) {
            return Err(Refusal::WrongIssuer);
        }
        let code = callback.code.clone().ok_or_else(|| Refusal::CodeRejected("no code in the callback".into()))?;
        let metadata = self.metadata(p, false).await?;
        let client = Self::client(p, &metadata)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| Refusal::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => Refusal::CodeRejected(r.error().to_string()),
                RequestTokenError::Request(r) => Refusal::Unavailable(r.to_string()),
                RequestTokenError::Parse(e, _) => Refusal::InvalidToken(e.to_string()),
                RequestTokenError::Other(o) => Refusal::InvalidToken(o),
            })?;
        let id_token = response.id_token().ok_or_else(|| Refusal::InvalidToken("no ID token".into()))?;
        let nonce = Nonce::new(flow.nonce.clone());
        let claims = match self.verify(&client, id_token, &nonce) {
            // The provider may have rotated its keys: discover once more and try again.
            Err(Refusal::UnknownKey) => {
                let fresh = self.metadata(p, true).await?;
                self.verify(&Self::client(p, &fresh)?, id_token, &nonce)?
            }
            other => other?,
        };
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token.signing_alg().map_err(|_| Refusal::AccessTokenMismatch)?;
            let verifier = client.id_token_verifier();
            let key = id_token.signing_key(&verifier).map_err(|_| Refusal::AccessTokenMismatch)?;
            let actual = AccessTokenHash::from_token(response.access_token(), alg, key)
                .map_err(|_| Refusal::AccessTokenMismatch)?;
            if actual != *expected {
                return Err(Refusal::AccessTokenMismatch);
            }
        }
        let raw = payload(id_token);
        let mut email = claim(&raw, &p.config.email_claim);
        let mut name = claim(&raw, &p.config.name_claim);
        if p.config.userinfo {
            let info: Result<UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim>, _> =
                match client.user_info(response.access_token().clone(), Some(claims.subject().clone())) {
                    Ok(request) => request.request_async(&self.http).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
            match info {
                Ok(info) => {
                    email = email.or_else(|| info.email().map(|e| e.as_str().to_string()));
                    name = name.or_else(|| info.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()));
                }
                Err(e) => tracing::warn!(provider = %p.config.name, error.cause = %e, "userinfo could not be read"),
            }
        }
        let amr: Vec<String> =
            claims.auth_method_refs().map(|v| v.iter().map(|a| a.as_str().to_string()).collect()).unwrap_or_default();
        let acr = claims.auth_context_ref().map(|a| a.as_str().to_string());
        let mfa = amr.iter().any(|a| p.config.mfa_amr.contains(a))
            || acr.as_ref().is_some_and(|a| p.config.mfa_acr.contains(a));
        Ok(Verified {
            issuer: p.config.issuer.clone(),
            subject: claims.subject().as_str().to_string(),
            email,
            name,
            amr,
            acr,
            mfa,
            id_token: id_token.to_string(),
        })
    }

    fn verify<'t>(&self, client: &Client, id_token: &'t CoreIdToken, nonce: &Nonce) -> Result<&'t Claims, Refusal> {
        let now = self.clock.now();
        let at = chrono::DateTime::from_timestamp(now.unix_timestamp(), now.nanosecond()).unwrap_or_default();
        let verifier = client.id_token_verifier().set_time_fn(move || at);
        id_token.claims(&verifier, nonce).map_err(|e| match e {
            ClaimsVerificationError::Expired(_) => Refusal::Expired,
            ClaimsVerificationError::InvalidAudience(_) => Refusal::WrongAudience,
            ClaimsVerificationError::InvalidIssuer(_) => Refusal::WrongIssuer,
            ClaimsVerificationError::InvalidNonce(_) => Refusal::NonceMismatch,
            ClaimsVerificationError::SignatureVerification(s) => match s {
                SignatureVerificationError::NoSignature => Refusal::Unsigned,
                SignatureVerificationError::DisallowedAlg(a) | SignatureVerificationError::UnsupportedAlg(a)
                    if a.contains("none") =>
                {
                    Refusal::Unsigned
                }
                SignatureVerificationError::NoMatchingKey => Refusal::UnknownKey,
                _ => Refusal::BadSignature,
            },
            other => Refusal::InvalidToken(other.to_string()),
        })
    }

    /// Where to send the browser to end the session at `provider` too (RP-initiated logout),
    /// when the provider offers it.
    pub async fn logout_url(&self, provider: &str, id_token: Option<&str>) -> Option<String> {
        let after = format!("{}/signin", self.public_base);
        let p = self.provider(provider).ok()?;
        let metadata = self.metadata(p, false).await.ok()?;
        let end = metadata.additional_metadata().end_session_endpoint.clone()?;
        let mut url = end.url().clone();
        {
            let mut q = url.query_pairs_mut();
            if let Some(token) = id_token {
                q.append_pair("id_token_hint", token);
            }
            q.append_pair("client_id", &p.config.client_id);
            q.append_pair("post_logout_redirect_uri", &after);
        }
        Some(url.to_string())
    }
}

/// The claims of a verified ID token as JSON, to read the claims the configuration names.
fn payload(id_token: &CoreIdToken) -> serde_json::Value {
    use base64::Engine;
    let text = id_token.to_string();
    text.split('.')
        .nth(1)
        .and_then(|p| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// A claim as text, when it is a non-empty string.
fn claim(payload: &serde_json::Value, name: &str) -> Option<String> {
    payload
        .get(name)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_have_distinct_codes_and_say_nothing_secret() {
        let all = [
            Refusal::UnknownProvider,
            Refusal::Unavailable("connection refused".into()),
            Refusal::BadState,
            Refusal::ProviderError("access_denied".into()),
            Refusal::WrongIssuer,
            Refusal::CodeRejected("invalid_grant".into()),
            Refusal::InvalidToken("x".into()),
            Refusal::WrongAudience,
            Refusal::Expired,
            Refusal::NonceMismatch,
            Refusal::Unsigned,
            Refusal::UnknownKey,
            Refusal::BadSignature,
            Refusal::AccessTokenMismatch,
        ];
        let codes: std::collections::HashSet<&str> = all.iter().map(Refusal::code).collect();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().all(|r| !crate::i18n::en(&r.message()).contains("connection refused")));
    }

    #[test]
    fn claims_are_read_by_configured_name() {
        let p = serde_json::json!({"mail": " a@b.example ", "name": "", "n": 3});
        assert_eq!(claim(&p, "mail").as_deref(), Some("a@b.example"));
        assert_eq!(claim(&p, "name"), None);
        assert_eq!(claim(&p, "n"), None);
        assert_eq!(claim(&p, "absent"), None);
    }
}
