//! A Nix file as a typed configuration: serde on both sides.
//!
//! The host passes its defaults into Nix (serialized into a Nix value, as the
//! global `defaults`), the configuration overrides them with Nix code, and the
//! result is deserialized into Rust structs. Deserializing forces only what
//! the structs ask for: the broken `experimental` attribute is never
//! evaluated.
//!
//! Run with `cargo run --example serde_config`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use spindle::Evaluator;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Service {
    port: u16,
    #[serde(default)]
    replicas: u32,
    env: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
enum LogLevel {
    Quiet,
    Info,
    Debug,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Config {
    name: String,
    log_level: LogLevel,
    services: BTreeMap<String, Service>,
    admins: Vec<String>,
}

const CONFIG: &str = r#"
let
  service = port: defaults.service // { inherit port; };
in {
  name = "shop";
  logLevel = if defaults.verbose then "debug" else "info";
  services = {
    web = service 8080 // { replicas = 3; };
    api = service 9000 // { env = defaults.service.env // { MODE = "api"; }; };
  };
  admins = map (n: "${n}@example.org") [ "ada" "grace" ];
  experimental = throw "not ready";
}
"#;

fn main() -> Result<(), spindle::Error> {
    #[derive(Serialize)]
    struct Defaults {
        verbose: bool,
        service: Service,
    }
    let defaults = Defaults {
        verbose: true,
        service: Service {
            port: 80,
            replicas: 1,
            env: BTreeMap::from([("RUST_LOG".to_string(), "warn".to_string())]),
        },
    };

    let evaluator = Evaluator::builder()
        .pure(true)
        .global("defaults", spindle::to_value(&defaults)?)
        .build();
    let value = evaluator.eval_str(CONFIG)?;
    let config: Config = evaluator.from_value(&value)?;
    println!("{config:#?}");

    assert_eq!(config.name, "shop");
    assert_eq!(config.log_level, LogLevel::Debug);
    assert_eq!(config.services["web"].replicas, 3);
    assert_eq!(config.services["api"].port, 9000);
    assert_eq!(config.services["api"].env["MODE"], "api");
    assert_eq!(config.services["api"].env["RUST_LOG"], "warn");
    assert_eq!(config.admins, ["ada@example.org", "grace@example.org"]);

    // A value of the wrong type is reported with where it is.
    let bad =
        evaluator.eval_str(r#"{ name = "x"; logLevel = "loud"; services = {}; admins = []; }"#)?;
    let error = evaluator
        .from_value::<Config>(&bad)
        .expect_err("no such level");
    println!("{error}");
    assert!(error.to_string().contains("logLevel"));
    Ok(())
}
