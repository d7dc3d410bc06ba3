//! Native test kit: a fake provider (discovery, JWKS, tokens signed with the keys in
//! tests/fixtures by jsonwebtoken) and fake ports (clock, randomness, storage, fetch).

#![allow(dead_code)] // each test file uses its own part of the kit

pub mod code;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{json, Map, Value};
use sha2::Digest;
use spa_login::core::cache::MemoryStore;
use spa_login::core::client::Client;
use spa_login::core::config::Config;
pub use spa_login::core::json::Json;
use spa_login::core::jwks::Jwk;
use spa_login::core::jws::{HashAlg, JwsAlg};
use spa_login::core::ports::{
    Failure, FailureKind, KeyValueStore, Ports, WindowAnswer, WindowKind, WindowRequest,
};
use spa_login::core::token::HttpResponse;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

pub const ISSUER: &str = "https://op.example";
pub const CLIENT_ID: &str = "client-1";
pub const REDIRECT_URI: &str = "https://app.example/callback";
/// 2026-01-01T00:00:00Z, the fixed clock of the tests.
pub const NOW_MS: f64 = 1_767_225_600_000.0;

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub fn public_jwk(name: &str, kid: Option<&str>) -> Value {
    let mut jwk: Value = serde_json::from_str(&fixture(&format!("{name}.jwk.json"))).unwrap();
    if let Some(kid) = kid {
        jwk["kid"] = json!(kid);
    }
    jwk
}

/// A Web Storage stand-in that can be told to throw, as a blocked or full storage does.
#[derive(Default)]
pub struct FaultyStore {
    pub inner: MemoryStore,
    pub fail_writes: Cell<bool>,
    pub fail_reads: Cell<bool>,
}

impl KeyValueStore for FaultyStore {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        if self.fail_reads.get() {
            return Err("SecurityError: storage is blocked".into());
        }
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        if self.fail_writes.get() {
            return Err("QuotaExceededError: storage is full".into());
        }
        self.inner.set(key, value)
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        if self.fail_writes.get() {
            return Err("SecurityError: storage is blocked".into());
        }
        self.inner.remove(key)
    }
    fn keys(&self) -> Result<Vec<String>, String> {
        if self.fail_reads.get() {
            return Err("SecurityError: storage is blocked".into());
        }
        self.inner.keys()
    }
}

pub struct FakePorts {
    pub now_ms: Cell<f64>,
    /// The machine's clock, apart from `now_ms` (the app's `nowProvider`).
    pub real_time_ms: Cell<f64>,
    pub transactions: FaultyStore,
    pub tokens: FaultyStore,
    /// localStorage for the session hint (`sessionCheckExpiryDays`).
    pub hints: FaultyStore,
    /// URL -> body; a missing URL is a network failure.
    pub documents: RefCell<HashMap<String, String>>,
    /// URLs that never answer: their fetch fails with a timeout.
    pub hanging: RefCell<Vec<String>>,
    pub fetched: RefCell<Vec<String>>,
    /// The fetches that were to go past the browser's HTTP cache.
    pub fresh_fetched: RefCell<Vec<String>>,
    /// Every fetch, window, lock, navigation and address-bar change, in order: "fetch URL",
    /// "window URL", "lock NAME", "open URL", "replace URL".
    pub events: RefCell<Vec<String>>,
    /// How the frame or popup answers a request; by default it fails.
    pub window_answer: RefCell<Option<WindowFn>>,
    /// While closed, a window flow waits (to let a test act while it is in flight).
    pub window_gate: Rc<Cell<bool>>,
    /// While closed, fetches and POSTs wait.
    pub fetch_gate: Rc<Cell<bool>>,
    /// While closed, a renewal waits for its lock (another renewal holds it).
    pub lock_gate: Rc<Cell<bool>>,
    /// How the token and revocation endpoints answer a POST (url, form body); by default the
    /// request fails.
    pub post_answer: RefCell<Option<PostFn>>,
    /// Every POST: (url, form body).
    pub posted: RefCell<Vec<(String, String)>>,
    /// The `DPoP` header of every POST ("" for none), in order.
    pub post_proofs: RefCell<Vec<String>>,
    /// The DPoP key pairs the browser holds, by name: which fixture key ("ec256", "ec256b").
    pub dpop_keys: RefCell<HashMap<String, &'static str>>,
    /// How many DPoP key pairs were made so far (the next one alternates between fixtures).
    pub dpop_keys_made: Cell<usize>,
    /// While set, the browser has no IndexedDB: DPoP key calls fail.
    pub no_indexed_db: Cell<bool>,
    /// The timeouts the fetches were given.
    pub fetch_timeouts: RefCell<Vec<f64>>,
    counter: Cell<u8>,
}

/// How a test's frame or popup answers: it sees the ports (the stored transaction's nonce, say).
pub type WindowFn =
    Box<dyn Fn(&FakePorts, WindowKind, &WindowRequest) -> Result<WindowAnswer, Failure>>;

/// How a test's token endpoint answers a POST.
pub type PostFn = Box<dyn Fn(&FakePorts, &str, &str) -> Result<HttpResponse, Failure>>;

/// A future that waits while its gate is closed.
struct Gate(Rc<Cell<bool>>);

impl Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0.get() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Polls `f` once: `Some` if it finished, `None` if it waits (at a closed window gate).
pub fn poll_once<F: Future>(f: Pin<&mut F>) -> Option<F::Output> {
    match f.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

impl FakePorts {
    /// Whether a flow went to a window (a hidden frame or a popup).
    pub fn opened_a_window(&self) -> bool {
        self.events
            .borrow()
            .iter()
            .any(|e| e.starts_with("window "))
    }

    pub fn new() -> Self {
        let ports = FakePorts {
            now_ms: Cell::new(NOW_MS),
            real_time_ms: Cell::new(0.0),
            transactions: FaultyStore::default(),
            tokens: FaultyStore::default(),
            hints: FaultyStore::default(),
            documents: RefCell::default(),
            hanging: RefCell::default(),
            fetched: RefCell::default(),
            fresh_fetched: RefCell::default(),
            events: RefCell::default(),
            window_answer: RefCell::default(),
            window_gate: Rc::new(Cell::new(true)),
            fetch_gate: Rc::new(Cell::new(true)),
            lock_gate: Rc::new(Cell::new(true)),
            post_answer: RefCell::default(),
            posted: RefCell::default(),
            post_proofs: RefCell::default(),
            dpop_keys: RefCell::default(),
            dpop_keys_made: Cell::new(0),
            no_indexed_db: Cell::new(false),
            fetch_timeouts: RefCell::default(),
            counter: Cell::new(0),
        };
        ports.serve(
            &format!("{ISSUER}/.well-known/openid-configuration"),
            &discovery(ISSUER).to_string(),
        );
        ports.serve(
            &format!("{ISSUER}/jwks"),
            &json!({ "keys": [public_jwk("rsa1", Some("k1"))] }).to_string(),
        );
        ports
    }

    pub fn serve(&self, url: &str, body: &str) {
        self.documents.borrow_mut().insert(url.into(), body.into());
    }

    pub fn fetch_count(&self, url: &str) -> usize {
        self.fetched.borrow().iter().filter(|u| *u == url).count()
    }

    /// Frames and popups answer with what `f` makes of the request.
    pub fn answer_windows(
        &self,
        f: impl Fn(&FakePorts, WindowKind, &WindowRequest) -> Result<WindowAnswer, Failure> + 'static,
    ) {
        *self.window_answer.borrow_mut() = Some(Box::new(f));
    }

    /// POSTs are answered with what `f` makes of (url, body).
    pub fn answer_posts(
        &self,
        f: impl Fn(&FakePorts, &str, &str) -> Result<HttpResponse, Failure> + 'static,
    ) {
        *self.post_answer.borrow_mut() = Some(Box::new(f));
    }

    /// The nonce of the transaction stored under `state` ("" once it is gone).
    pub fn nonce_of(&self, state: &str) -> String {
        let Some(text) = self
            .transactions
            .inner
            .get(&format!("spa-login.tx.{state}"))
            .unwrap()
        else {
            return String::new();
        };
        serde_json::from_str::<Value>(&text).unwrap()["nonce"]
            .as_str()
            .unwrap()
            .into()
    }
}

pub fn discovery(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{ISSUER}/authorize"),
        "jwks_uri": format!("{ISSUER}/jwks"),
        "end_session_endpoint": format!("{ISSUER}/logout"),
        "response_types_supported": ["id_token token", "id_token"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    })
}

fn jwt_alg(alg: JwsAlg) -> Algorithm {
    match alg {
        JwsAlg::RS256 => Algorithm::RS256,
        JwsAlg::RS384 => Algorithm::RS384,
        JwsAlg::RS512 => Algorithm::RS512,
        JwsAlg::PS256 => Algorithm::PS256,
        JwsAlg::PS384 => Algorithm::PS384,
        JwsAlg::PS512 => Algorithm::PS512,
        JwsAlg::ES256 => Algorithm::ES256,
        JwsAlg::ES384 => Algorithm::ES384,
        JwsAlg::EdDSA | JwsAlg::Ed25519 => Algorithm::EdDSA,
        JwsAlg::ES512 => panic!("jsonwebtoken has no ES512"),
    }
}

impl Ports for FakePorts {
    fn now_ms(&self) -> f64 {
        self.now_ms.get()
    }
    fn real_time_ms(&self) -> f64 {
        self.real_time_ms.get()
    }
    fn random(&self, buf: &mut [u8]) -> Result<(), String> {
        // Deterministic but different on every call, as tests need to tell requests apart.
        let n = self.counter.get().wrapping_add(1);
        self.counter.set(n);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(31).wrapping_add(n);
        }
        Ok(())
    }
    fn transactions(&self) -> &dyn KeyValueStore {
        &self.transactions
    }
    fn tokens(&self) -> &dyn KeyValueStore {
        &self.tokens
    }
    fn hints(&self) -> &dyn KeyValueStore {
        &self.hints
    }
    async fn fetch_text(&self, url: &str, timeout_ms: f64, fresh: bool) -> Result<String, Failure> {
        if fresh {
            self.fresh_fetched.borrow_mut().push(url.into());
        }
        self.fetched.borrow_mut().push(url.into());
        self.events.borrow_mut().push(format!("fetch {url}"));
        self.fetch_timeouts.borrow_mut().push(timeout_ms);
        Gate(self.fetch_gate.clone()).await;
        if self.hanging.borrow().iter().any(|u| u == url) {
            return Err(Failure::new(FailureKind::Timeout, "no answer in time"));
        }
        self.documents
            .borrow()
            .get(url)
            .cloned()
            .ok_or_else(|| Failure::new(FailureKind::Failed, "connection refused"))
    }
    async fn window(
        &self,
        kind: WindowKind,
        request: &WindowRequest<'_>,
    ) -> Result<WindowAnswer, Failure> {
        self.events
            .borrow_mut()
            .push(format!("window {}", request.url));
        Gate(self.window_gate.clone()).await;
        match &*self.window_answer.borrow() {
            Some(f) => f(self, kind, request),
            None => Err(Failure::new(FailureKind::Failed, "no window in this test")),
        }
    }
    fn replace_location(&self, url: &str) {
        self.events.borrow_mut().push(format!("replace {url}"));
    }
    fn prefetch(&self, url: &str, _timeout_ms: f64) {
        self.events.borrow_mut().push(format!("prefetch {url}"));
    }
    async fn post_form(
        &self,
        url: &str,
        body: &str,
        dpop: Option<&str>,
        _timeout_ms: f64,
    ) -> Result<HttpResponse, Failure> {
        self.events.borrow_mut().push(format!("post {url}"));
        self.posted.borrow_mut().push((url.into(), body.into()));
        self.post_proofs
            .borrow_mut()
            .push(dpop.unwrap_or_default().into());
        Gate(self.fetch_gate.clone()).await;
        match &*self.post_answer.borrow() {
            Some(f) => f(self, url, body),
            None => Err(Failure::new(FailureKind::Failed, "connection refused")),
        }
    }
    async fn open(&self, url: &str) -> Result<(), Failure> {
        self.events.borrow_mut().push(format!("open {url}"));
        Ok(())
    }
    async fn lock(&self, name: &str, watch: Option<&str>) {
        let watch = watch.map(|w| format!(" watching {w}")).unwrap_or_default();
        self.events.borrow_mut().push(format!("lock {name}{watch}"));
        Gate(self.lock_gate.clone()).await;
    }
    async fn verify(
        &self,
        alg: JwsAlg,
        jwk: &Jwk,
        signing_input: &str,
        signature: &[u8],
    ) -> Result<bool, String> {
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_str(&jwk.public_jwk().to_text()).map_err(|e| e.to_string())?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
        let sig = spa_login::core::base64url::encode(signature);
        jsonwebtoken::crypto::verify(&sig, signing_input.as_bytes(), &key, jwt_alg(alg))
            .map_err(|e| e.to_string())
    }
    async fn dpop_key(&self, name: &str) -> Result<Json, Failure> {
        let key = self.dpop_key_named(name)?;
        let mut jwk = public_jwk(key, None);
        // What WebCrypto's exportKey adds, which the proof must not carry.
        jwk["key_ops"] = json!(["verify"]);
        jwk["ext"] = json!(true);
        Ok(Json::parse(jwk.to_string().as_bytes()).unwrap())
    }
    async fn dpop_sign(&self, name: &str, input: &str) -> Result<Vec<u8>, Failure> {
        let key = self.dpop_key_named(name)?;
        let pem = fixture(&format!("{key}.pem"));
        let signature = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
            Algorithm::ES256,
        )
        .unwrap();
        Ok(spa_login::core::base64url::decode(&signature).unwrap())
    }
    async fn dpop_forget(&self, name: &str) {
        self.events.borrow_mut().push(format!("dpop forget {name}"));
        self.dpop_keys.borrow_mut().remove(name);
    }
}

impl FakePorts {
    /// The fixture key behind the DPoP key pair `name`, made on first use.
    fn dpop_key_named(&self, name: &str) -> Result<&'static str, Failure> {
        if self.no_indexed_db.get() {
            return Err(Failure::new(
                FailureKind::Failed,
                "InvalidStateError: IndexedDB is not available",
            ));
        }
        let mut keys = self.dpop_keys.borrow_mut();
        Ok(*keys.entry(name.into()).or_insert_with(|| {
            let made = self.dpop_keys_made.get();
            self.dpop_keys_made.set(made + 1);
            ["ec256", "ec256b"][made % 2]
        }))
    }
}

pub fn hash(alg: HashAlg, data: &[u8]) -> Vec<u8> {
    match alg {
        HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
        HashAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
        HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
    }
}

pub fn at_hash(alg: HashAlg, access_token: &str) -> String {
    let h = hash(alg, access_token.as_bytes());
    spa_login::core::base64url::encode(&h[..h.len() / 2])
}

/// Signs `claims` with a fixture key.
pub fn sign(key: &str, alg: JwsAlg, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(jwt_alg(alg));
    header.kid = kid.map(str::to_owned);
    let pem = fixture(&format!("{key}.pem"));
    let key = match alg {
        JwsAlg::ES256 | JwsAlg::ES384 => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    };
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// Builds a token from any header and claims and a signature over them by `key` with RS256:
/// for tokens jsonwebtoken would refuse to make (duplicate keys, odd headers).
pub fn sign_raw(header_json: &str, claims_json: &str) -> String {
    use spa_login::core::base64url::encode;
    let input = format!(
        "{}.{}",
        encode(header_json.as_bytes()),
        encode(claims_json.as_bytes())
    );
    let pem = fixture("rsa1.pem");
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::RS256).unwrap();
    format!("{input}.{sig}")
}

/// The claims of a good ID token for `nonce` at the test clock.
pub fn claims(nonce: &str) -> Map<String, Value> {
    let now = (NOW_MS / 1000.0) as u64;
    json!({
        "iss": ISSUER, "sub": "alice", "aud": CLIENT_ID, "exp": now + 3600, "iat": now,
        "nonce": nonce, "name": "Alice", "email": "alice@example.com",
    })
    .as_object()
    .unwrap()
    .clone()
}

pub fn options() -> Value {
    json!({ "issuer": ISSUER, "clientId": CLIENT_ID, "authorizationParams": { "redirect_uri": REDIRECT_URI } })
}

pub fn client_with(options: Value, ports: FakePorts) -> Client<FakePorts> {
    let config = Config::from_options(&j(options), "https://app.example").expect("valid options");
    Client::new(config, ports, Box::leak(Box::default()))
}

pub fn client() -> Client<FakePorts> {
    client_with(options(), FakePorts::new())
}

/// A test's serde_json value as the core's JSON.
pub fn j(v: Value) -> Json {
    Json::parse(v.to_string().as_bytes()).expect("JSON")
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// Query parameter of a URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Starts a login and returns (state, nonce).
pub fn start_login(
    client: &Client<FakePorts>,
    app_state: Option<&str>,
    overrides: Option<Value>,
) -> (String, String) {
    let url = block_on(client.login_url(app_state.map(str::to_owned), overrides.map(j).as_ref()))
        .expect("login url");
    (param(&url, "state").unwrap(), param(&url, "nonce").unwrap())
}

/// A complete, valid `id_token token` response for a login started with `start_login`.
pub struct Response {
    pub state: String,
    pub id_token: String,
    pub access_token: String,
    pub extra: String,
}

impl Response {
    pub fn valid(state: &str, nonce: &str) -> Response {
        let access_token = "at-0123456789".to_string();
        let mut c = claims(nonce);
        c.insert(
            "at_hash".into(),
            json!(at_hash(HashAlg::Sha256, &access_token)),
        );
        Response {
            state: state.into(),
            id_token: sign("rsa1", JwsAlg::RS256, Some("k1"), &Value::Object(c)),
            access_token,
            extra: String::new(),
        }
    }

    /// A response carrying `id_token` (made by the test) with the usual access token.
    pub fn with_id_token(state: &str, id_token: String) -> Response {
        Response {
            state: state.into(),
            id_token,
            access_token: "at-0123456789".into(),
            extra: String::new(),
        }
    }

    pub fn url(&self) -> String {
        format!(
            "{REDIRECT_URI}#access_token={}&token_type=Bearer&expires_in=3600&id_token={}&state={}{}",
            self.access_token, self.id_token, self.state, self.extra
        )
    }
}

/// Everything this client has stored, for "nothing was stored" checks.
pub fn stored_session(client: &Client<FakePorts>) -> Option<String> {
    client
        .ports
        .tokens
        .inner
        .get(&format!("spa-login.session.{ISSUER} {CLIENT_ID}"))
        .unwrap()
}

/// Two tabs of the app with `cacheLocation: 'localstorage'`; the first has logged in. Each has
/// its own fake storage: `share_tokens` copies what one wrote into the other's, as the one
/// localStorage of a real browser would show it.
pub fn two_tabs_one_logged_in() -> (Client<FakePorts>, Client<FakePorts>) {
    let mut o = options();
    o["cacheLocation"] = json!("localstorage");
    let logged_in = client_with(o.clone(), FakePorts::new());
    let other = client_with(o, FakePorts::new());
    let (state, nonce) = start_login(&logged_in, None, None);
    block_on(logged_in.handle_callback(&Response::valid(&state, &nonce).url())).unwrap();
    (logged_in, other)
}

/// Another tab of the app (localStorage cache) logs out: the stored session goes, and this tab
/// has not heard of it yet.
pub fn another_tab_logs_out(client: &Client<FakePorts>) {
    client
        .ports
        .tokens
        .inner
        .remove(&client.session_key())
        .unwrap();
}

/// A flow cut by a session that ended meanwhile: `login_required`, nothing stored, logged out.
pub fn assert_dropped(
    client: &Client<FakePorts>,
    result: Result<Option<String>, spa_login::core::error::AuthError>,
) {
    let e = result.unwrap_err();
    assert_eq!(e.code(), "login_required", "{e}");
    assert_eq!(stored_session(client), None, "nothing stored");
    assert!(!client.is_authenticated());
}

/// Copies `from`'s stored session into `to`'s token storage.
pub fn share_tokens(from: &Client<FakePorts>, to: &Client<FakePorts>) {
    to.ports
        .tokens
        .inner
        .set(&from.session_key(), &stored_session(from).unwrap())
        .unwrap();
}

/// The cached access token for `params` (`getAccessToken` with `cacheMode: 'on'`, no renewal).
pub fn cached(client: &Client<FakePorts>, params: Option<Value>) -> Option<String> {
    client
        .cached_access_token(
            params.map(j).as_ref(),
            spa_login::core::client::CacheMode::On,
        )
        .unwrap()
}

/// `logout`, and where it sent the browser (`None`: nowhere).
pub fn logout_url(
    client: &Client<FakePorts>,
    params: Option<Value>,
    navigate: bool,
) -> Result<Option<String>, spa_login::core::error::AuthError> {
    let before = client.ports.events.borrow().len();
    block_on(client.logout(params.map(j).as_ref(), navigate))?;
    let events = client.ports.events.borrow();
    Ok(events[before..]
        .iter()
        .find_map(|e| e.strip_prefix("open ").map(str::to_owned)))
}
