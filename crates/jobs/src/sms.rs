//! SMS through an HTTP gateway, described by a provider template: the method, the URL, how to
//! authenticate, how the body is encoded, the names of its fields, and what answer means sent.
//! 46elks and Twilio are presets; any other gateway is described field by field.

use std::time::Duration;

/// How the gateway authenticates us.
#[derive(Clone, PartialEq)]
pub enum SmsAuth {
    None,
    Basic { user: String, password: String },
    Bearer(String),
}

/// Names the user, never a secret.
impl std::fmt::Debug for SmsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Self::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// How the message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    /// `application/x-www-form-urlencoded` body.
    Form,
    /// A JSON object body.
    Json,
    /// In the query string (GET gateways).
    Query,
}

/// What answer means the gateway took the message.
#[derive(Debug, Clone, PartialEq)]
pub enum SmsSuccess {
    /// Any 2xx status.
    Status2xx,
    /// One of these statuses.
    Statuses(Vec<u16>),
    /// A 2xx status whose body holds this text.
    BodyContains(String),
}

/// A gateway's template.
#[derive(Debug, Clone, PartialEq)]
pub struct SmsGateway {
    pub method: reqwest::Method,
    pub url: String,
    pub auth: SmsAuth,
    pub encoding: SmsEncoding,
    /// The names of the recipient, sender and text fields.
    pub to_field: String,
    pub from_field: String,
    pub message_field: String,
    /// The sender shown on the phone (a number or up to 11 letters).
    pub from: String,
    pub success: SmsSuccess,
    pub timeout: Duration,
}

impl SmsGateway {
    /// A provider's preset: `46elks` (user = API username, password = API password) or
    /// `twilio` (user = account SID, password = auth token).
    pub fn preset(provider: &str, user: &str, password: &str, from: &str) -> anyhow::Result<Self> {
        let auth = SmsAuth::Basic {
            user: user.to_owned(),
            password: password.to_owned(),
        };
        let base = |url: String, to: &str, sender: &str, text: &str| Self {
            method: reqwest::Method::POST,
            url,
            auth: auth.clone(),
            encoding: SmsEncoding::Form,
            to_field: to.to_owned(),
            from_field: sender.to_owned(),
            message_field: text.to_owned(),
            from: from.to_owned(),
            success: SmsSuccess::Status2xx,
            timeout: Duration::from_secs(15),
        };
        match provider {
            "46elks" => Ok(base("https://api.46elks.com/a1/sms".into(), "to", "from", "message")),
            "twilio" => Ok(Self {
                success: SmsSuccess::Statuses(vec![200, 201]),
                ..base(
                    format!("https://api.twilio.com/2010-04-01/Accounts/{user}/Messages.json"),
                    "To",
                    "From",
                    "Body",
                )
            }),
            other => anyhow::bail!("no SMS preset is called '{other}' (46elks, twilio, or custom)"),
        }
    }

    /// Sends one text; an error means it was not taken (and will be retried).
    pub async fn send(&self, to: &str, text: &str) -> anyhow::Result<()> {
        let client = reqwest::Client::builder().timeout(self.timeout).build()?;
        let fields = [
            (self.to_field.as_str(), to),
            (self.from_field.as_str(), self.from.as_str()),
            (self.message_field.as_str(), text),
        ];
        let mut req = client.request(self.method.clone(), &self.url);
        req = match &self.auth {
            SmsAuth::None => req,
            SmsAuth::Basic { user, password } => req.basic_auth(user, Some(password)),
            SmsAuth::Bearer(token) => req.bearer_auth(token),
        };
        req = match self.encoding {
            SmsEncoding::Form => req.form(&fields),
            SmsEncoding::Query => req.query(&fields),
            SmsEncoding::Json => {
                let body: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String((*v).to_owned())))
                    .collect();
                req.json(&body)
            }
        };
        let resp = req.send().await?;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        let ok = match &self.success {
            SmsSuccess::Status2xx => status.is_success(),
            SmsSuccess::Statuses(list) => list.contains(&status.as_u16()),
            SmsSuccess::BodyContains(needle) => status.is_success() && body.contains(needle.as_str()),
        };
        if ok {
            Ok(())
        } else {
            let excerpt: String = body.chars().take(200).collect();
            anyhow::bail!("the SMS gateway answered {status}: {excerpt}")
        }
    }
}
