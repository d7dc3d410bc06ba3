//! jsonwebtoken as a reference verifier of ID tokens: a few hundred tokens signed with the
//! fixture keys, with random claims and mutations, go through our client's `verify_id_token`
//! (our JWS decoder, key selection, signature check through the fake ports, and claim checks)
//! and through `jsonwebtoken::decode` with an equivalent `Validation`. Both must decide the same,
//! except where our rules are stricter than jsonwebtoken's: those rules are modelled below
//! (`stricter`), each with the reason, and every one of them is shown to be reached.
#![cfg(not(target_arch = "wasm32"))]

mod rng;
mod support;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rng::Rng;
use serde_json::{json, Value};
use spa_login::core::base64url;
use spa_login::core::client::Checks;
use spa_login::core::jws::JwsAlg;
use std::collections::HashMap;
use support::*;

/// Our default leeway (config.rs), given to jsonwebtoken too.
const LEEWAY: u64 = 60;
const NONCE: &str = "nonce-0123456789";

/// The keys the provider publishes: (fixture, kid, algorithms it signs here).
const KEYS: &[(&str, &str, &[JwsAlg])] = &[
    (
        "rsa1",
        "k1",
        &[
            JwsAlg::RS256,
            JwsAlg::RS384,
            JwsAlg::RS512,
            JwsAlg::PS256,
            JwsAlg::PS384,
            JwsAlg::PS512,
        ],
    ),
    ("rsa2", "k2", &[JwsAlg::RS256, JwsAlg::PS512]),
    ("ec256", "e1", &[JwsAlg::ES256]),
    // 1024 bits: jsonwebtoken verifies with it, we do not (see `stricter`).
    ("rsa1024", "small", &[JwsAlg::RS256]),
];

/// What the provider lists in id_token_signing_alg_values_supported (ES384 too, though no key
/// is P-384: a token whose alg is changed to it must fail both ways).
const PROVIDER_ALGS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
];

fn jwt_alg(name: &str) -> Option<Algorithm> {
    name.parse().ok()
}

/// jsonwebtoken reads the system clock, so both sides use it: our fake clock is set to it.
/// Every time below is at least 30 s from a boundary, so the seconds a run takes do not matter.
fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Valid claims around `now` (random subject, one or two audiences, random times), with at
/// most one member then changed, missing or odd: so that each rule decides some tokens alone.
fn claims(rng: &mut Rng, now: u64) -> Value {
    let now = now as i64;
    let l = LEEWAY as i64;
    let several = rng.one_in(3);
    let mut c = json!({
        "iss": ISSUER,
        "sub": format!("user-{}", rng.below(1000)),
        "aud": if several { json!(["api", CLIENT_ID]) } else { json!(CLIENT_ID) },
        "exp": now + 120 + rng.below(7200) as i64,
        "iat": now - rng.below(600) as i64,
        "nonce": NONCE,
    });
    if several || rng.one_in(3) {
        c["azp"] = json!(CLIENT_ID);
    }
    if rng.one_in(3) {
        c["nbf"] = json!(now - rng.below(600) as i64);
    }
    // Members no rule looks at.
    if rng.one_in(2) {
        c["name"] = json!("Alice Ünicode 😀");
        c["roles"] = json!(["a", {"b": [1, 2.5, null]}]);
    }
    let changes: [(&str, Option<Value>); 28] = [
        // Times: past, within and beyond the leeway, of the wrong type.
        ("exp", Some(json!(now - l - 30))),
        ("exp", Some(json!(now - 3600))),
        ("exp", Some(json!(now - 30))),
        ("exp", Some(json!(now as f64 + 600.5))),
        ("exp", Some(json!((now + 3600).to_string()))),
        ("exp", None),
        ("nbf", Some(json!(now + l + 30))),
        ("nbf", Some(json!(now + 30))),
        ("nbf", Some(json!("now"))),
        ("iat", Some(json!(now + l + 30))),
        ("iat", Some(json!(now + 30))),
        ("iat", Some(json!("yesterday"))),
        ("iat", None),
        // Who it is from, about and for.
        ("iss", Some(json!("https://op.example/"))),
        ("iss", Some(json!("https://other.example"))),
        ("iss", Some(json!([ISSUER]))),
        ("iss", None),
        ("sub", Some(json!(""))),
        ("sub", Some(json!("x".repeat(300)))),
        ("sub", Some(json!(42))),
        ("sub", None),
        ("aud", Some(json!("another-client"))),
        ("aud", Some(json!([]))),
        ("aud", Some(json!([CLIENT_ID, 7]))),
        ("aud", Some(json!(["api", "another-client"]))),
        ("azp", Some(json!("api"))),
        ("nonce", Some(json!("another-nonce"))),
        ("nonce", None),
    ];
    if rng.below(10) < 7 {
        let (name, value) = changes[rng.below(changes.len())].clone();
        match value {
            Some(v) => c[name] = v,
            None => {
                c.as_object_mut().unwrap().remove(name);
            }
        }
    }
    // Several audiences without azp: half of the time when there are several.
    if c["aud"].as_array().is_some_and(|a| a.len() > 1) && rng.one_in(2) {
        c.as_object_mut().unwrap().remove("azp");
    }
    c
}

/// The rules of ours (OpenID Connect Core 3.1.3.7 and RFC 7518) that jsonwebtoken's
/// `Validation` has no equivalent of: a token jsonwebtoken accepts is still refused by ours
/// when one of these holds. Each says why.
fn stricter(claims: &Value, key: &str, now: u64) -> Option<&'static str> {
    let now = now as f64;
    let leeway = LEEWAY as f64;
    if key == "rsa1024" {
        // RFC 7518 3.3: RSA keys of 2048 bits or more; jsonwebtoken takes any size.
        return Some("RSA key under 2048 bits");
    }
    if !claims["iss"].is_string() {
        // Core 2: iss is one string; jsonwebtoken also takes a list containing the issuer.
        return Some("iss not a string");
    }
    match claims["sub"].as_str() {
        // Core 2: sub is a non-empty string of at most 255 ASCII characters; jsonwebtoken only
        // asks for a string.
        Some(sub) if !sub.is_empty() && sub.len() <= 255 => {}
        _ => return Some("sub empty or too long"),
    }
    match claims["iat"].as_f64() {
        // Core 3.1.3.7 steps 9 and 10: iat is required and not in the future (beyond leeway);
        // jsonwebtoken does not look at iat.
        Some(iat) if iat <= now + leeway => {}
        _ => return Some("iat missing, not a number or in the future"),
    }
    let several_audiences = claims["aud"].as_array().is_some_and(|a| a.len() > 1);
    match claims.get("azp") {
        // Core 3.1.3.7 steps 4 and 5: azp, when present, is this client, and several audiences
        // need it; jsonwebtoken knows no azp.
        Some(azp) if azp != CLIENT_ID => return Some("azp not this client"),
        None if several_audiences => return Some("several audiences and no azp"),
        _ => {}
    }
    if claims["nonce"] != NONCE {
        // Core 3.1.3.7 step 11 and 3.2.2.11: the nonce of this login, always; jsonwebtoken
        // knows no nonce.
        return Some("nonce not this login's");
    }
    None
}

/// jsonwebtoken's decision. Keys come from the same set as ours: the one the header's kid names,
/// or, without a kid, each key in turn (Core 10.1, as ours does). The algorithms allowed are the
/// provider's that fit the key's type (jsonwebtoken refuses a mixed list).
fn reference_accepts(token: &str, keys: &[(String, Value)]) -> bool {
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return false;
    };
    let candidates: Vec<&(String, Value)> = match &header.kid {
        Some(kid) => keys.iter().filter(|(_, jwk)| jwk["kid"] == *kid).collect(),
        None => keys.iter().collect(),
    };
    candidates.iter().any(|(_, jwk)| {
        let rsa = jwk["kty"] == "RSA";
        let mut validation = Validation::new(if rsa {
            Algorithm::RS256
        } else {
            Algorithm::ES256
        });
        validation.algorithms = PROVIDER_ALGS
            .iter()
            .filter_map(|name| jwt_alg(name))
            .filter(|alg| name_is_rsa(*alg) == rsa)
            .collect();
        validation.leeway = LEEWAY;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[CLIENT_ID]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
        let key = DecodingKey::from_jwk(&jwk).unwrap();
        jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok()
    })
}

fn name_is_rsa(alg: Algorithm) -> bool {
    matches!(
        alg,
        Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
    )
}

/// The ways a signed token is altered after signing (or how it is signed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Mutation {
    None,
    FlippedSignatureBit,
    PayloadOfAnotherToken,
    AlgChangedInHeader,
    NoKid,
    KidOfAnotherKey,
    UnknownKid,
}

const MUTATIONS: &[Mutation] = &[
    Mutation::None,
    Mutation::None,
    Mutation::None,
    Mutation::None,
    Mutation::FlippedSignatureBit,
    Mutation::PayloadOfAnotherToken,
    Mutation::AlgChangedInHeader,
    Mutation::NoKid,
    Mutation::KidOfAnotherKey,
    Mutation::UnknownKid,
];

fn segments(token: &str) -> [String; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    [parts[0].into(), parts[1].into(), parts[2].into()]
}

fn header_with(token: &str, change: impl FnOnce(&mut Value)) -> String {
    let [h, p, s] = segments(token);
    let mut header: Value = serde_json::from_slice(&base64url::decode(&h).unwrap()).unwrap();
    change(&mut header);
    let h = base64url::encode(header.to_string().as_bytes());
    format!("{h}.{p}.{s}")
}

#[test]
fn our_decisions_match_jsonwebtoken_on_random_signed_tokens() {
    let now = now_secs();
    let ports = FakePorts::new();
    ports.now_ms.set(now as f64 * 1000.0);
    let mut discovery = discovery(ISSUER);
    discovery["id_token_signing_alg_values_supported"] = json!(PROVIDER_ALGS);
    ports.serve(
        &format!("{ISSUER}/.well-known/openid-configuration"),
        &discovery.to_string(),
    );
    let keys: Vec<(String, Value)> = KEYS
        .iter()
        .map(|(name, kid, _)| (name.to_string(), public_jwk(name, Some(kid))))
        .collect();
    let set = json!({ "keys": keys.iter().map(|(_, jwk)| jwk.clone()).collect::<Vec<_>>() });
    ports.serve(&format!("{ISSUER}/jwks"), &set.to_string());
    let client = client_with(options(), ports);

    let mut rng = Rng(7);
    let mut previous_payload = String::new();
    let mut agreed: HashMap<(Mutation, bool), usize> = HashMap::new();
    let mut stricter_reached: HashMap<&str, usize> = HashMap::new();
    for i in 0..500 {
        // The 1024-bit key one time in eight.
        let (key, kid, algs) = KEYS[if rng.one_in(8) { 3 } else { rng.below(3) }];
        let alg = rng.pick(algs);
        let claims = claims(&mut rng, now);
        let mutation = rng.pick(MUTATIONS);
        let signed = sign(
            key,
            alg,
            (mutation != Mutation::NoKid).then_some(kid),
            &claims,
        );
        let token = match mutation {
            Mutation::None | Mutation::NoKid => signed.clone(),
            Mutation::FlippedSignatureBit => {
                let [h, p, s] = segments(&signed);
                let mut sig = base64url::decode(&s).unwrap();
                let at = rng.below(sig.len());
                sig[at] ^= 1 << rng.below(8);
                format!("{h}.{p}.{}", base64url::encode(&sig))
            }
            Mutation::PayloadOfAnotherToken if !previous_payload.is_empty() => {
                let [h, _, s] = segments(&signed);
                format!("{h}.{previous_payload}.{s}")
            }
            Mutation::PayloadOfAnotherToken => signed.clone(),
            Mutation::AlgChangedInHeader => header_with(&signed, |h| {
                let other = rng.pick(&[
                    "RS256", "RS384", "PS256", "PS512", "ES256", "ES384", "HS256", "none",
                ]);
                h["alg"] = json!(if other == alg.name() { "RS512" } else { other });
            }),
            Mutation::KidOfAnotherKey => header_with(&signed, |h| {
                let others: Vec<&str> = KEYS.iter().map(|k| k.1).filter(|k| *k != kid).collect();
                h["kid"] = json!(rng.pick(&others));
            }),
            Mutation::UnknownKid => header_with(&signed, |h| h["kid"] = json!("rotated-away")),
        };
        previous_payload = segments(&signed)[1].clone();

        let reference = reference_accepts(&token, &keys);
        // The claims the token carries (another token's, after a payload swap).
        let carried: Value =
            serde_json::from_slice(&base64url::decode(&segments(&token)[1]).unwrap()).unwrap();
        let strict = reference.then(|| stricter(&carried, key, now)).flatten();
        let expected = reference && strict.is_none();
        let ours =
            block_on(client.verify_id_token_with(&token, &Checks::implicit(NONCE, None, None)));
        assert_eq!(
            ours.is_ok(),
            expected,
            "token {i} ({key} {alg:?}, {mutation:?}): ours {ours:?}, jsonwebtoken {reference}, \
             stricter rule {strict:?}, claims {carried}"
        );
        *agreed.entry((mutation, expected)).or_default() += 1;
        if let Some(rule) = strict {
            *stricter_reached.entry(rule).or_default() += 1;
        }
    }

    // Valid tokens were accepted, and every mutation was refused at least once.
    assert!(agreed[&(Mutation::None, true)] >= 40, "{agreed:?}");
    assert!(agreed[&(Mutation::NoKid, true)] >= 5, "{agreed:?}");
    for m in &MUTATIONS[4..] {
        assert!(
            agreed.get(&(*m, false)).is_some_and(|n| *n >= 5),
            "{m:?}: {agreed:?}"
        );
    }
    // And each rule of ours beyond jsonwebtoken's decided some token jsonwebtoken accepted.
    for rule in [
        "RSA key under 2048 bits",
        "iss not a string",
        "sub empty or too long",
        "iat missing, not a number or in the future",
        "azp not this client",
        "several audiences and no azp",
        "nonce not this login's",
    ] {
        assert!(
            stricter_reached.contains_key(rule),
            "{rule}: {stricter_reached:?}"
        );
    }
}
