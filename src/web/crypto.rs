//! Signature verification and digests with WebCrypto (`crypto.subtle`): native speed and no
//! crypto code in the wasm.

use crate::core::jwks::Jwk;
use crate::core::jws::{HashAlg, JwsAlg};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

fn subtle() -> Result<SubtleCrypto, String> {
    let crypto = web_sys::window()
        .ok_or("no window")?
        .crypto()
        .map_err(|_| "no crypto")?;
    Ok(crypto.subtle())
}

fn object(json: &str) -> Object {
    js_sys::JSON::parse(json)
        .expect("literal JSON")
        .unchecked_into()
}

/// The WebCrypto algorithm objects for importing a key and verifying with it.
fn algorithm(alg: JwsAlg) -> (Object, Object) {
    use JwsAlg::*;
    let (import, verify) = match alg {
        RS256 => (
            r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-256"}"#,
            r#"{"name":"RSASSA-PKCS1-v1_5"}"#,
        ),
        RS384 => (
            r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-384"}"#,
            r#"{"name":"RSASSA-PKCS1-v1_5"}"#,
        ),
        RS512 => (
            r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-512"}"#,
            r#"{"name":"RSASSA-PKCS1-v1_5"}"#,
        ),
        // RFC 7518 3.5: the salt is as long as the hash.
        PS256 => (
            r#"{"name":"RSA-PSS","hash":"SHA-256"}"#,
            r#"{"name":"RSA-PSS","saltLength":32}"#,
        ),
        PS384 => (
            r#"{"name":"RSA-PSS","hash":"SHA-384"}"#,
            r#"{"name":"RSA-PSS","saltLength":48}"#,
        ),
        PS512 => (
            r#"{"name":"RSA-PSS","hash":"SHA-512"}"#,
            r#"{"name":"RSA-PSS","saltLength":64}"#,
        ),
        ES256 => (
            r#"{"name":"ECDSA","namedCurve":"P-256"}"#,
            r#"{"name":"ECDSA","hash":"SHA-256"}"#,
        ),
        ES384 => (
            r#"{"name":"ECDSA","namedCurve":"P-384"}"#,
            r#"{"name":"ECDSA","hash":"SHA-384"}"#,
        ),
        ES512 => (
            r#"{"name":"ECDSA","namedCurve":"P-521"}"#,
            r#"{"name":"ECDSA","hash":"SHA-512"}"#,
        ),
        EdDSA | Ed25519 => (r#"{"name":"Ed25519"}"#, r#"{"name":"Ed25519"}"#),
    };
    (object(import), object(verify))
}

fn reason(e: JsValue) -> String {
    js_sys::Error::from(e).message().into()
}

pub async fn verify(
    alg: JwsAlg,
    jwk: &Jwk,
    signing_input: &[u8],
    signature: &[u8],
) -> Result<bool, String> {
    let subtle = subtle()?;
    let (import_alg, verify_alg) = algorithm(alg);
    let key_data = object(&jwk.public_jwk().to_text());
    let usages = Array::of1(&JsValue::from_str("verify"));
    let key = subtle
        .import_key_with_object("jwk", &key_data, &import_alg, false, &usages)
        .map_err(reason)?;
    let key: CryptoKey = JsFuture::from(key).await.map_err(reason)?.unchecked_into();
    let result = subtle
        .verify_with_object_and_buffer_source_and_buffer_source(
            &verify_alg,
            &key,
            &Uint8Array::from(signature),
            &Uint8Array::from(signing_input),
        )
        .map_err(reason)?;
    Ok(JsFuture::from(result).await.map_err(reason)?.as_bool() == Some(true))
}

pub async fn digest(alg: HashAlg, data: &[u8]) -> Result<Vec<u8>, String> {
    let promise = subtle()?
        .digest_with_str_and_buffer_source(alg.name(), &Uint8Array::from(data))
        .map_err(reason)?;
    let buffer = JsFuture::from(promise).await.map_err(reason)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
