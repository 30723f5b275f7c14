//! The REST API's request and response bodies. The server and the SPA both compile against this
//! crate, so a contract change that would break the SPA is a compile error. With the `openapi`
//! feature the types also describe themselves for the OpenAPI spec.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Writes a time as chrono's serde does (RFC 3339 in UTC with `Z`; a fraction of a second only
/// when there is one, in 3, 6 or 9 digits), without the formatting machinery: a month of an
/// office's calendar writes thousands of them. Times chrono would write otherwise (years outside
/// 0–9999, leap seconds) are left to chrono.
pub fn serialize_utc<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    use chrono::{Datelike, Timelike};
    let (year, nanos) = (t.year(), t.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.serialize(s);
    }
    let mut buf = *b"0000-00-00T00:00:00.000000000Z";
    let put = |buf: &mut [u8; 30], at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(&mut buf, 0, 4, year as u32);
    put(&mut buf, 5, 2, t.month());
    put(&mut buf, 8, 2, t.day());
    put(&mut buf, 11, 2, t.hour());
    put(&mut buf, 14, 2, t.minute());
    put(&mut buf, 17, 2, t.second());
    let end = match nanos {
        0 => 19,
        n if n % 1_000_000 == 0 => {
            put(&mut buf, 20, 3, n / 1_000_000);
            23
        }
        n if n % 1_000 == 0 => {
            put(&mut buf, 20, 6, n / 1_000);
            26
        }
        n => {
            put(&mut buf, 20, 9, n);
            29
        }
    };
    buf[end] = b'Z';
    s.serialize_str(std::str::from_utf8(&buf[..=end]).map_err(serde::ser::Error::custom)?)
}

macro_rules! api_type {
    ($($item:item)*) => {$(
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $item
    )*};
}

api_type! {
    /// The body of every error answer.
    pub struct ApiError {
        /// Stable snake_case code, e.g. `not_found`, `validation_failed`, `invalid_credentials`.
        pub code: String,
        /// A human-readable explanation.
        pub message: String,
        /// The offending field, when one field is to blame.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub field: Option<String>,
        /// Every field problem, when the input had several.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub errors: Vec<FieldError>,
    }

    /// One problem with one input field.
    pub struct FieldError {
        pub field: String,
        pub code: String,
        pub message: String,
    }

    /// Credentials for `POST /api/v1/auth/login`.
    pub struct LoginRequest {
        pub email: String,
        pub password: String,
    }

    /// A refresh token to exchange (`/auth/refresh`) or revoke (`/auth/logout`).
    pub struct RefreshRequest {
        pub refresh_token: String,
    }

    /// Change one's own password.
    pub struct PasswordChange {
        pub current_password: String,
        /// At least 10 characters.
        pub new_password: String,
    }

    /// One's own settings.
    pub struct MySettings {
        /// The language: `en-GB`, `sv-SE`, `cs-CZ`, `ru-RU` or `pt-BR`; absent: unchanged.
        #[serde(default)]
        pub locale: Option<String>,
        /// An IANA time zone (`Europe/Stockholm`) the user's times are shown and typed in; empty:
        /// the company's; absent: unchanged.
        #[serde(default)]
        pub time_zone: Option<String>,
    }

    /// An access token (a JWT, sent as `Authorization: Bearer …`) and a single-use refresh token.
    pub struct TokenPair {
        pub access_token: String,
        /// Always `Bearer`.
        pub token_type: String,
        /// Seconds until the access token expires.
        pub expires_in: i64,
        /// Exchange it for a new pair before the access token expires; each refresh token works once.
        pub refresh_token: String,
        pub user: Me,
    }

    /// The signed-in user and their company.
    pub struct Me {
        pub id: Uuid,
        pub name: String,
        pub email: String,
        pub role: String,
        pub office_id: Uuid,
        pub office_name: String,
        pub locale: String,
        /// The zone the user's times are shown and typed in (their own, else the company's).
        pub time_zone: String,
        /// Whether the zone is the user's own choice.
        pub own_time_zone: bool,
        /// How the user's last booking confirmed the meeting to the client (`none`, `email`,
        /// `sms`, `both`), offered for the next.
        pub booking_confirmation: Option<String>,
        pub permissions: PermissionSet,
        pub company: CompanySummary,
    }

    /// A company (tenant).
    pub struct CompanySummary {
        pub id: Uuid,
        pub name: String,
        /// ISO 3166-1 alpha-2; the default region for phone numbers.
        pub country: String,
        /// BCP 47, e.g. `sv-SE`.
        pub locale: String,
        /// ISO 4217, e.g. `SEK`.
        pub currency: String,
        /// The IANA time zone the company works in.
        pub time_zone: String,
    }

    /// The company's settings (administrators).
    pub struct CompanySettings {
        /// An IANA time zone (`Europe/Prague`); empty: the country's.
        pub time_zone: String,
    }

    /// A user's rights. Scopes are `own`, `office` or `company`.
    pub struct PermissionSet {
        pub work_with_clients: bool,
        pub offer_scope: String,
        pub demand_scope: String,
        pub export: bool,
        pub admin: bool,
    }

    /// A contact to create or replace. Mandatory fields depend on `kind`: agency (agency name,
    /// and an email or a phone), verified (first and last name, a phone and an email), standard
    /// (last name, and a phone or an email), draft (a name, a phone or an email).
    #[derive(Default)]
    pub struct ContactWrite {
        /// `agency`, `verified`, `standard` or `draft`.
        pub kind: String,
        #[serde(default)]
        pub first_name: Option<String>,
        #[serde(default)]
        pub last_name: Option<String>,
        #[serde(default)]
        pub agency_name: Option<String>,
        /// In any format; stored in E.164. Numbers without a country prefix are read in the company's country.
        #[serde(default)]
        pub phones: Vec<String>,
        #[serde(default)]
        pub emails: Vec<String>,
        #[serde(default)]
        pub street: Option<String>,
        #[serde(default)]
        pub city: Option<String>,
        #[serde(default)]
        pub postal_code: Option<String>,
        #[serde(default)]
        pub country: Option<String>,
        #[serde(default)]
        pub lat: Option<f64>,
        #[serde(default)]
        pub lon: Option<f64>,
        /// Barred from automatic emails.
        #[serde(default)]
        pub opted_out: bool,
        /// Owner; defaults to the creating user. Only on creation.
        #[serde(default)]
        pub owner_id: Option<Uuid>,
    }

    /// A contact as listed.
    pub struct ContactSummary {
        pub id: Uuid,
        pub kind: String,
        pub display_name: String,
        pub first_name: Option<String>,
        pub last_name: Option<String>,
        pub agency_name: Option<String>,
        pub phones: Vec<String>,
        pub emails: Vec<String>,
        pub city: Option<String>,
        pub owner_id: Uuid,
        pub owner_name: String,
        pub office_id: Uuid,
        pub office_name: String,
        /// Seller of at least one listing.
        pub on_offer: bool,
        /// Has a demand or is a buyer of a listing.
        pub on_demand: bool,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
    }

    /// A contact with everything on its card.
    pub struct Contact {
        #[serde(flatten)]
        pub summary: ContactSummary,
        pub street: Option<String>,
        pub postal_code: Option<String>,
        pub country: Option<String>,
        pub lat: Option<f64>,
        pub lon: Option<f64>,
        pub opted_out: bool,
        /// Listings the contact is a party of.
        pub properties: Vec<ContactProperty>,
        pub demands: Vec<Demand>,
    }

    /// A listing as seen from one of its parties.
    pub struct ContactProperty {
        pub property_id: Uuid,
        pub title: String,
        pub status: String,
        /// `seller` or `buyer`.
        pub role: String,
    }

    /// A note or a history entry.
    pub struct TimelineEntry {
        pub id: Uuid,
        pub contact_id: Uuid,
        /// `note`, `created`, `imported`, `updated`, `handover`, `party_added`, `party_removed`, `demand_created`.
        pub kind: String,
        /// The note, or the event told in the reader's language.
        pub body: String,
        /// The event's parameters (names, codes), for integrations that tell it their own way.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        pub params: Option<serde_json::Value>,
        pub property_id: Option<Uuid>,
        pub demand_id: Option<Uuid>,
        pub author_id: Option<Uuid>,
        pub author_name: Option<String>,
        pub created_at: DateTime<Utc>,
    }

    /// A note to add to a contact's timeline, optionally about one of its listings or demands.
    pub struct NoteWrite {
        pub body: String,
        #[serde(default)]
        pub property_id: Option<Uuid>,
        #[serde(default)]
        pub demand_id: Option<Uuid>,
    }

    /// Hand a contact over to a colleague.
    pub struct HandoverRequest {
        pub to_user_id: Uuid,
        #[serde(default)]
        pub message: Option<String>,
        /// Also email the colleague (when they have an email channel). Default: their own setting.
        #[serde(default)]
        pub notify_email: Option<bool>,
    }

    /// The caller lookup's answer.
    pub struct LookupResult {
        /// How the query was read: `phone`, `email` or `name`.
        pub query_kind: String,
        pub matches: Vec<LookupMatch>,
        /// What the new-contact form should hold when nothing here is the caller.
        pub prefill: Prefill,
    }

    /// One contact matching the lookup.
    pub struct LookupMatch {
        /// False: the contact exists but the caller may not see it; only its owner is told.
        pub visible: bool,
        /// Whether the contact is another agency: warn the receptionist.
        pub agency: bool,
        pub owner_id: Uuid,
        pub owner_name: String,
        /// `phone`, `email` or `name`.
        pub matched_on: String,
        /// Present only when `visible`.
        pub contact: Option<ContactSummary>,
        /// The latest timeline entries, only when `visible`.
        pub history: Vec<TimelineEntry>,
    }

    /// Fields for the new-contact form, taken from the lookup text.
    pub struct Prefill {
        pub first_name: Option<String>,
        pub last_name: Option<String>,
        pub phone: Option<String>,
        pub email: Option<String>,
    }

    /// A listing to create or replace.
    pub struct PropertyWrite {
        /// The listing's number as websites show it (letters, digits, `-`, `/`, `.`), unique in
        /// the company; empty on a new listing: the company's next number. Empty on a change:
        /// kept.
        #[serde(default)]
        pub reference: Option<String>,
        /// `apartment`, `house`, `cottage`, `plot` or `commercial`.
        pub kind: String,
        /// `customer_processing`, `assignment`, `coming_soon`, `for_sale` or `sold`.
        pub status: String,
        pub street: String,
        pub city: String,
        #[serde(default)]
        pub postal_code: Option<String>,
        /// ISO 3166-1 alpha-2; defaults to the company's country.
        #[serde(default)]
        pub country: Option<String>,
        #[serde(default)]
        pub lat: Option<f64>,
        #[serde(default)]
        pub lon: Option<f64>,
        /// Asking price in whole currency units.
        #[serde(default)]
        pub price: Option<i64>,
        #[serde(default)]
        pub living_area: Option<f64>,
        #[serde(default)]
        pub rooms: Option<f64>,
        #[serde(default)]
        pub bedrooms: Option<i32>,
        #[serde(default)]
        pub parking_spaces: Option<i32>,
        #[serde(default)]
        pub neighbourhood: Option<String>,
        #[serde(default)]
        pub condominium: Option<String>,
        #[serde(default)]
        pub advertised: bool,
        /// The listing broker; defaults to the creating user.
        #[serde(default)]
        pub broker_id: Option<Uuid>,
        /// When the purchase contract was signed, `YYYY-MM-DD`.
        #[serde(default)]
        pub contract_date: Option<String>,
        /// When the buyer takes over, `YYYY-MM-DD`. A sold listing with an access date gives its
        /// broker a follow-up of each buyer and seller, from a week to three weeks after it.
        #[serde(default)]
        pub access_date: Option<String>,
    }

    /// A listing.
    pub struct Property {
        pub id: Uuid,
        /// The listing's number as websites show it, unique in the company.
        pub reference: Option<String>,
        pub title: String,
        pub kind: String,
        pub status: String,
        pub street: String,
        pub city: String,
        pub postal_code: Option<String>,
        pub country: String,
        pub lat: Option<f64>,
        pub lon: Option<f64>,
        pub price: Option<i64>,
        pub currency: String,
        pub living_area: Option<f64>,
        pub rooms: Option<f64>,
        pub bedrooms: Option<i32>,
        pub parking_spaces: Option<i32>,
        pub neighbourhood: Option<String>,
        pub condominium: Option<String>,
        pub advertised: bool,
        pub broker_id: Uuid,
        pub office_id: Uuid,
        /// `YYYY-MM-DD`.
        pub contract_date: Option<String>,
        /// `YYYY-MM-DD`.
        pub access_date: Option<String>,
        /// Parties the caller may see.
        pub parties: Vec<Party>,
        pub created_at: DateTime<Utc>,
    }

    /// A contact's part in a listing.
    pub struct Party {
        pub contact_id: Uuid,
        pub display_name: String,
        /// `seller` or `buyer`.
        pub role: String,
    }

    /// Add a party to a listing.
    pub struct PartyWrite {
        pub contact_id: Uuid,
        /// `seller` or `buyer`.
        pub role: String,
    }

    /// A buyer's request to create or replace.
    pub struct DemandWrite {
        pub contact_id: Uuid,
        /// False closes the demand (default: open).
        #[serde(default = "yes")]
        pub active: bool,
        /// Property kind wanted, if any.
        #[serde(default)]
        pub kind: Option<String>,
        #[serde(default)]
        pub min_price: Option<i64>,
        #[serde(default)]
        pub max_price: Option<i64>,
        #[serde(default)]
        pub min_rooms: Option<f64>,
        /// Where, in words (neighbourhoods, towns).
        #[serde(default)]
        pub area: Option<String>,
        #[serde(default)]
        pub note: Option<String>,
    }

    /// A buyer's request.
    pub struct Demand {
        pub id: Uuid,
        pub contact_id: Uuid,
        pub broker_id: Uuid,
        pub office_id: Uuid,
        pub kind: Option<String>,
        pub min_price: Option<i64>,
        pub max_price: Option<i64>,
        pub min_rooms: Option<f64>,
        pub area: Option<String>,
        pub note: Option<String>,
        pub active: bool,
        pub created_at: DateTime<Utc>,
    }

    /// An office to create or rename.
    pub struct OfficeWrite {
        pub name: String,
    }

    /// An office.
    pub struct Office {
        pub id: Uuid,
        pub name: String,
        pub user_count: u64,
    }

    /// A user to create (password required) or update (password optional: set to change it).
    pub struct UserWrite {
        pub name: String,
        pub email: String,
        #[serde(default)]
        pub password: Option<String>,
        /// `broker`, `office_manager`, `receptionist`, `call_centre` or `administrator`.
        pub role: String,
        pub office_id: Uuid,
        pub permissions: PermissionSet,
        #[serde(default = "yes")]
        pub active: bool,
        /// Email the user about hand-overs and other tasks.
        #[serde(default = "yes")]
        pub notify_email: bool,
        /// BCP 47; defaults to the company's locale.
        #[serde(default)]
        pub locale: Option<String>,
    }

    /// A user of the company.
    pub struct User {
        pub id: Uuid,
        pub name: String,
        pub email: String,
        pub role: String,
        pub office_id: Uuid,
        pub office_name: String,
        pub permissions: PermissionSet,
        pub active: bool,
        pub notify_email: bool,
        pub locale: String,
        /// The extension a telephone system knows the user by (incoming calls).
        #[serde(default)]
        pub extension: Option<String>,
    }

    /// A group to create or replace.
    pub struct GroupWrite {
        pub name: String,
        #[serde(default)]
        pub member_ids: Vec<Uuid>,
    }

    /// A group of users that can receive work together.
    pub struct Group {
        pub id: Uuid,
        pub name: String,
        pub member_ids: Vec<Uuid>,
    }

    /// An API key to create; it acts with the rights of `user_id` (default: the creator).
    pub struct ApiKeyWrite {
        pub name: String,
        #[serde(default)]
        pub user_id: Option<Uuid>,
    }

    /// An API key (the secret is shown only once, on creation).
    pub struct ApiKey {
        pub id: Uuid,
        pub name: String,
        pub user_id: Uuid,
        /// The first characters, to recognise a key.
        pub prefix: String,
        pub created_at: DateTime<Utc>,
        /// Only in the answer to its creation: send it as `Authorization: Bearer …` or `X-Api-Key`.
        pub secret: Option<String>,
    }

    /// How to read an uploaded file into contacts.
    pub struct ImportSettings {
        /// The field of each column, in order: `kind`, `first_name`, `last_name`, `full_name`,
        /// `agency_name`, `phone`, `email`, `street`, `postal_code`, `city`, `country`, `owner`
        /// (a colleague's email or name), or null to ignore the column.
        pub mapping: Vec<Option<String>>,
        /// The kind of rows without a kind column: `verified`, `standard` (default) or `draft`.
        #[serde(default)]
        pub default_kind: Option<String>,
        /// The owner of rows that do not name one (default: the importer).
        #[serde(default)]
        pub owner_id: Option<Uuid>,
        /// Skip rows whose phone or email an existing contact (or an earlier row) has (default).
        #[serde(default = "yes")]
        pub skip_duplicates: bool,
    }

    /// A row's problem, or a row that duplicates existing contacts.
    pub struct ImportProblem {
        /// The row's number in the file, the header row not counted.
        pub row: u64,
        pub field: String,
        pub code: String,
        pub message: String,
        /// The existing contacts a duplicate row matches.
        pub contact_ids: Vec<Uuid>,
    }

    /// A contact import: the file as read, its settings, and its progress.
    pub struct Import {
        pub id: Uuid,
        pub file_name: String,
        /// `uploaded` (choose the columns), `checking` (dry run under way), `checked` (report
        /// ready: start or change the settings), `importing`, `done`, `failed`, `cancelled`.
        pub status: String,
        /// Rows of the file, the header row not counted.
        pub rows: u64,
        pub headers: Vec<String>,
        /// The first rows.
        pub sample: Vec<Vec<String>>,
        /// The field suggested for each column from its header.
        pub suggested: Vec<Option<String>>,
        pub settings: Option<ImportSettings>,
        /// Rows handled so far by the running step.
        pub processed: u64,
        pub valid: u64,
        pub invalid: u64,
        pub duplicates: u64,
        /// Contacts created.
        pub created: u64,
        /// The first problems and duplicates found (at most 500).
        pub problems: Vec<ImportProblem>,
        pub error: Option<String>,
        pub created_at: DateTime<Utc>,
        pub finished_at: Option<DateTime<Utc>>,
    }

    /// How many open tasks (with the tips and leads waiting for the user) the user has, how
    /// many are overdue and due by the end of the user's day, per kind, and how many callbacks
    /// wait in the office's shark tank.
    pub struct TaskCounts {
        pub open: u64,
        pub overdue: u64,
        pub due_today: u64,
        pub by_kind: Vec<KindCount>,
        pub tank: u64,
    }

    /// A count of one kind.
    pub struct KindCount {
        pub kind: String,
        pub count: u64,
    }

    /// A focus area to save: an office's or a user's (exactly one of the two), with a GeoJSON
    /// Polygon or MultiPolygon (a Feature or FeatureCollection of them is read too).
    pub struct FocusAreaWrite {
        pub name: String,
        #[serde(default)]
        pub office_id: Option<Uuid>,
        #[serde(default)]
        pub user_id: Option<Uuid>,
        /// Only a user's area: leads in it go to this user before the office's shark tank, and
        /// the user is suggested first.
        #[serde(default)]
        pub distributor: bool,
        /// GeoJSON, longitude before latitude (WGS 84); at most 20,000 positions.
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        pub geometry: serde_json::Value,
    }

    /// A focus area.
    pub struct FocusArea {
        pub id: Uuid,
        pub name: String,
        /// The office it is, or the office of the user it is.
        pub office_id: Uuid,
        /// The user it is, for a user's area.
        pub user_id: Option<Uuid>,
        pub distributor: bool,
        /// A GeoJSON MultiPolygon geometry.
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        pub geometry: serde_json::Value,
        /// West, south, east, north.
        pub bbox: Vec<f64>,
        pub updated_at: DateTime<Utc>,
    }

    /// Whom to suggest for an address: the users and offices whose focus areas hold it,
    /// distributors first, then the smaller (more specific) area.
    pub struct Suggestion {
        /// The place the suggestion is for (the geocoded point, when an address was given).
        pub lat: f64,
        pub lon: f64,
        pub users: Vec<SuggestedUser>,
        pub offices: Vec<SuggestedOffice>,
    }

    /// A user whose focus area holds the address.
    pub struct SuggestedUser {
        pub user_id: Uuid,
        pub name: String,
        pub office_id: Uuid,
        pub area: String,
        pub distributor: bool,
    }

    /// An office whose focus area holds the address.
    pub struct SuggestedOffice {
        pub office_id: Uuid,
        pub name: String,
        pub area: String,
    }

    /// A lead source to save (administrators).
    pub struct LeadSourceWrite {
        pub name: String,
        /// `accept_or_decline` (accept and link an object, or decline), `contact_or_dismiss`
        /// (mark contacted or not relevant) or `information_only` (shown on the contact, no task).
        pub workflow: String,
        /// Web pages that may post from a browser, such as `https://www.example.se`.
        #[serde(default)]
        pub allowed_origins: Vec<String>,
        /// Where a plain HTML form post is sent back to; without it a small page says thank you.
        #[serde(default)]
        pub thank_you_url: Option<String>,
    }

    /// A lead source.
    pub struct LeadSource {
        pub id: Uuid,
        pub name: String,
        pub workflow: String,
        /// What the website sends as `source_key` (or the `X-Lead-Source-Key` header).
        pub key: String,
        pub allowed_origins: Vec<String>,
        pub thank_you_url: Option<String>,
        pub archived: bool,
        pub created_at: DateTime<Utc>,
    }

    /// What became of a posted lead. A repeated post with the same `Idempotency-Key` gets the
    /// same answer.
    pub struct LeadReceipt {
        pub lead_id: Uuid,
        /// The contact the lead was filed on (none for spam).
        pub contact_id: Option<Uuid>,
        /// Whether the contact was created for this lead (else the phone or email matched).
        pub new_contact: bool,
        /// `open`, `information` or `spam`.
        pub status: String,
    }

    /// A lead (or tip) in an inbox or a shark tank.
    pub struct InboxItem {
        pub id: Uuid,
        /// `lead` or `tip`.
        pub kind: String,
        pub workflow: String,
        /// `open`, `accepted`, `declined`, `contacted`, `not_relevant`, `information`, `spam`.
        pub status: String,
        pub source_id: Option<Uuid>,
        pub source_name: Option<String>,
        pub contact_id: Option<Uuid>,
        pub contact_name: Option<String>,
        /// The listing the lead is about.
        pub property_id: Option<Uuid>,
        /// The listing linked when accepted.
        pub linked_property_id: Option<Uuid>,
        pub assignee_user_id: Option<Uuid>,
        pub assignee_office_id: Option<Uuid>,
        /// A tip sent to a group, until a member claims it.
        pub assignee_group_id: Option<Uuid>,
        /// Who sent a tip.
        pub sender_id: Option<Uuid>,
        pub sender_name: Option<String>,
        /// Who accepted or declined it.
        pub decided_by_name: Option<String>,
        /// When it went to the office's redistributor for not being taken care of in time.
        pub redistributed_at: Option<DateTime<Utc>>,
        /// Why it went where it went, in the reader's language.
        pub routing: Option<String>,
        pub message: Option<String>,
        /// Every other field the form sent.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        pub fields: Option<serde_json::Value>,
        /// Something to check: `no_coordinate` (routed to the default office), `unknown_listing`.
        pub flagged: Option<String>,
        pub decline_reason: Option<String>,
        pub created_at: DateTime<Utc>,
        pub assigned_at: DateTime<Utc>,
        pub decided_at: Option<DateTime<Utc>>,
    }

    /// An office's automatic redistribution: a tip or lead not taken care of within its limit
    /// goes to the redistributor (a user or a group), once. An empty limit turns it off for
    /// that kind; limits are in hours, at most 2,160 (90 days).
    pub struct OfficeRouting {
        #[serde(default)]
        pub redistributor_user_id: Option<Uuid>,
        #[serde(default)]
        pub redistributor_group_id: Option<Uuid>,
        #[serde(default)]
        pub tips_hours: Option<u32>,
        /// Leads of the accept-or-decline workflow.
        #[serde(default)]
        pub accept_leads_hours: Option<u32>,
        /// Leads of the contact-or-dismiss workflow.
        #[serde(default)]
        pub contact_leads_hours: Option<u32>,
        /// Automatic tips after viewings: a participant whose home lies in another broker's focus
        /// area, not tipped by hand within this many days (1–21) of the viewing, is tipped to that
        /// broker. Empty: off.
        #[serde(default)]
        pub auto_tip_days: Option<u32>,
    }

    /// Open items in one's inbox and in one's office's shark tank.
    pub struct InboxCounts {
        pub mine: u64,
        pub tank: u64,
    }

    /// Accept an item, linking a listing: an existing one (`property_id`) or one made in the
    /// same step (`new_property`, brokered by you unless it names another broker).
    pub struct AcceptRequest {
        #[serde(default)]
        pub property_id: Option<Uuid>,
        #[serde(default)]
        pub new_property: Option<PropertyWrite>,
    }

    /// A tip about a contact to a colleague, a group or an office (exactly one of the three).
    pub struct TipWrite {
        #[serde(default)]
        pub to_user_id: Option<Uuid>,
        #[serde(default)]
        pub to_group_id: Option<Uuid>,
        #[serde(default)]
        pub to_office_id: Option<Uuid>,
        #[serde(default)]
        pub note: Option<String>,
    }

    /// Decline an item.
    pub struct DeclineRequest {
        pub reason: String,
    }

    /// A CRM task, or a tip or lead waiting for the user (`inbox_item`: act on it in the inbox).
    pub struct Task {
        pub id: Uuid,
        /// `handover`, `callback`, `follow_up`, `import`, `tip`, `lead`.
        pub kind: String,
        pub title: String,
        pub body: Option<String>,
        pub contact_id: Option<Uuid>,
        pub property_id: Option<Uuid>,
        /// Who does it; absent while it waits in an office's shark tank.
        pub assignee_id: Option<Uuid>,
        /// The office whose shark tank it waits in (a member takes it).
        pub tank_office_id: Option<Uuid>,
        /// Due at a time of day (a 30-minute booking in the calendar), not just on a day.
        pub timed: bool,
        pub inbox_item: bool,
        pub due_at: Option<DateTime<Utc>>,
        pub done_at: Option<DateTime<Utc>>,
        pub created_at: DateTime<Utc>,
    }
}

/// A page of a list with a total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: u64,
    /// False when `total` is an estimate (a text search over very many contacts; its later
    /// pages repeat the first page's estimate) or a floor (more listings than are counted
    /// exactly).
    pub total_exact: bool,
    pub limit: u64,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// The URL of the next page, when there is one.
    pub next: Option<String>,
}

/// A page of a list read newest (or soonest) first, without a total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Slice<T> {
    pub items: Vec<T>,
    pub limit: u64,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// The URL of the next page, when there is one.
    pub next: Option<String>,
}

fn yes() -> bool {
    true
}

api_type! {
    /// A day off in the company's country.
    pub struct Holiday {
        /// `YYYY-MM-DD`.
        pub date: String,
        /// The name in the country's language.
        pub name: String,
        /// `public` (by law), `de_facto` (a day off by custom, e.g. Midsummer Eve in Sweden) or
        /// `transferred` (a day off moved by the government, in Russia).
        pub kind: String,
    }
}

api_type! {
    /// A viewing to book. Times are RFC 3339 with an offset, or a local date and time
    /// (`2026-12-01T10:00`) read in the caller's time zone.
    pub struct ViewingWrite {
        pub property_id: Uuid,
        /// The listing's broker unless given.
        #[serde(default)]
        pub broker_id: Option<Uuid>,
        pub starts_at: String,
        /// Default: 30 minutes after the start.
        #[serde(default)]
        pub ends_at: Option<String>,
        #[serde(default)]
        pub note: Option<String>,
        /// Contacts booked for it (at most 200).
        #[serde(default)]
        pub participants: Vec<Uuid>,
    }

    /// A viewing of a listing with its participants.
    pub struct Viewing {
        pub id: Uuid,
        pub property_id: Uuid,
        pub property_title: String,
        pub broker_id: Uuid,
        pub starts_at: DateTime<Utc>,
        pub ends_at: DateTime<Utc>,
        pub note: Option<String>,
        pub cancelled_at: Option<DateTime<Utc>>,
        pub participants: Vec<ViewingParticipant>,
        pub created_at: DateTime<Utc>,
    }

    /// A contact booked for a viewing.
    pub struct ViewingParticipant {
        pub contact_id: Uuid,
        /// Empty when the caller may not see the contact.
        pub display_name: String,
        /// `booked`, `attended` or `no_show`.
        pub status: String,
    }

    /// Book a contact for a viewing, or record whether they came.
    pub struct AttendanceWrite {
        /// `booked`, `attended` or `no_show`.
        pub status: String,
    }

    /// A bid to record.
    pub struct BidWrite {
        pub contact_id: Uuid,
        /// In whole units of the listing's currency.
        pub amount: i64,
        /// When the prospect placed it (RFC 3339 or local); default now.
        #[serde(default)]
        pub placed_at: Option<String>,
        #[serde(default)]
        pub note: Option<String>,
    }

    /// A prospect's bid on a listing.
    pub struct Bid {
        pub id: Uuid,
        pub property_id: Uuid,
        pub property_title: String,
        pub contact_id: Uuid,
        /// Empty when the caller may not see the contact.
        pub display_name: String,
        pub amount: i64,
        pub currency: String,
        pub placed_at: DateTime<Utc>,
        /// `active`, `accepted`, `rejected` or `withdrawn`.
        pub status: String,
        pub note: Option<String>,
        pub created_at: DateTime<Utc>,
    }

    /// Decide a bid.
    pub struct BidDecision {
        /// `accepted`, `rejected` or `withdrawn`.
        pub status: String,
    }

    /// A customer meeting to book: (1) when, who goes and where, (2) the object, always: an
    /// existing listing (`property_id`) or a new one made in the same step (`new_property`);
    /// the client becomes its seller, (3) how the client is told.
    pub struct MeetingWrite {
        pub contact_id: Uuid,
        /// Who goes; the caller unless given.
        #[serde(default)]
        pub user_id: Option<Uuid>,
        /// RFC 3339, or a local date and time read in the caller's time zone.
        pub starts_at: String,
        /// Default: an hour after the start.
        #[serde(default)]
        pub ends_at: Option<String>,
        /// Empty: at the client's home.
        #[serde(default)]
        pub place: Option<String>,
        #[serde(default)]
        pub note: Option<String>,
        #[serde(default)]
        pub property_id: Option<Uuid>,
        #[serde(default)]
        pub new_property: Option<PropertyWrite>,
        /// `none`, `email`, `sms` or `both`; default: the caller's last choice, else `none`.
        #[serde(default)]
        pub confirmation: Option<String>,
    }

    /// A customer meeting.
    pub struct Meeting {
        pub id: Uuid,
        pub contact_id: Uuid,
        pub display_name: String,
        pub user_id: Uuid,
        pub property_id: Uuid,
        pub property_title: String,
        pub starts_at: DateTime<Utc>,
        pub ends_at: DateTime<Utc>,
        /// Absent: at the client's home.
        pub place: Option<String>,
        pub note: Option<String>,
        /// `none`, `email`, `sms` or `both`.
        pub confirmation: String,
        /// `booked`, `held` or `cancelled`.
        pub status: String,
        /// `assignment` or `no_assignment` (held meetings).
        pub outcome: Option<String>,
        /// `broker` or `client` (cancelled meetings).
        pub cancelled_by: Option<String>,
        pub cancel_reason: Option<String>,
        pub created_by: Uuid,
        pub created_at: DateTime<Utc>,
    }

    /// A booked meeting and what booking it did besides.
    pub struct MeetingBooked {
        pub meeting: Meeting,
        /// The participant's other bookings at that time (a double booking is allowed, and
        /// said).
        pub conflicts: Vec<CalendarEntry>,
        /// Confirmations asked for that cannot go: `no_email` (the client has no email
        /// address), `no_phone` (no phone number).
        pub not_sent: Vec<String>,
        /// The listing made in the same step.
        pub created_property_id: Option<Uuid>,
    }

    /// Record a meeting as held, with its outcome, or cancel it.
    pub struct MeetingChange {
        /// `held` or `cancelled`.
        pub status: String,
        /// For `held`: `assignment` or `no_assignment` (then a follow-up within 3 weeks).
        #[serde(default)]
        pub outcome: Option<String>,
        /// For `cancelled`: `broker` or `client`.
        #[serde(default)]
        pub cancelled_by: Option<String>,
        #[serde(default)]
        pub reason: Option<String>,
    }

    /// A callback to plan, for a colleague (`assignee_id`, default the caller) or an office's
    /// shark tank (`office_id`).
    pub struct CallbackWrite {
        pub contact_id: Uuid,
        /// `YYYY-MM-DD`, today or later, at most two years ahead.
        pub date: String,
        /// `HH:MM`: then the callback is a 30-minute booking in the calendar.
        #[serde(default)]
        pub time: Option<String>,
        #[serde(default)]
        pub property_id: Option<Uuid>,
        /// Planned while following up this meeting: its listing is the callback's.
        #[serde(default)]
        pub meeting_id: Option<Uuid>,
        #[serde(default)]
        pub assignee_id: Option<Uuid>,
        #[serde(default)]
        pub office_id: Option<Uuid>,
        #[serde(default)]
        pub note: Option<String>,
    }

    /// A booking in a calendar.
    pub struct CalendarEntry {
        /// `meeting`, `viewing` or `callback`.
        pub kind: String,
        pub id: Uuid,
        pub user_id: Uuid,
        #[serde(serialize_with = "serialize_utc")]
        pub starts_at: DateTime<Utc>,
        #[serde(serialize_with = "serialize_utc")]
        pub ends_at: DateTime<Utc>,
        /// The client's name or the listing's address; empty when the caller may not see it.
        pub title: String,
        pub place: Option<String>,
        pub contact_id: Option<Uuid>,
        pub property_id: Option<Uuid>,
        /// `booked`, `held`, `cancelled` (meetings, viewings), `open` or `done` (callbacks).
        pub status: String,
    }

    /// The caller's private calendar feed (iCalendar), to subscribe to from Google Calendar or
    /// Outlook.
    pub struct CalendarFeed {
        /// The feed's address; shown once, when made. Absent otherwise.
        pub url: Option<String>,
        pub active: bool,
        pub created_at: Option<DateTime<Utc>>,
    }
}

api_type! {
    /// A notification in the app (the bell).
    pub struct Notification {
        pub id: Uuid,
        /// `handover`, `tip`, `callback`, `unsubscribe` or `deal` (a co-brokerage deal to approve).
        pub kind: String,
        pub title: String,
        pub body: Option<String>,
        /// Where in the app it leads (`/contacts/<id>`).
        pub link: Option<String>,
        pub created_at: DateTime<Utc>,
        pub read_at: Option<DateTime<Utc>>,
    }

    /// How many notifications are unread.
    pub struct NotificationCounts {
        pub unread: u64,
    }

    /// Mark notifications read: these (at most 200), or all.
    pub struct NotificationsRead {
        #[serde(default)]
        pub ids: Vec<Uuid>,
        #[serde(default)]
        pub all: bool,
    }

    /// The channels of one kind of notice.
    pub struct NoticeChannels {
        /// `handover`, `tip`, `callback`, `unsubscribe` or `deal` (a co-brokerage deal to approve).
        pub kind: String,
        pub in_app: bool,
        pub email: bool,
        pub sms: bool,
    }

    /// Where each kind of notice reaches the user, and the mobile number notices by SMS go to.
    pub struct NoticeSettings {
        pub kinds: Vec<NoticeChannels>,
        /// Any usual format; empty removes it; absent keeps it.
        #[serde(default)]
        pub phone: Option<String>,
    }
}

api_type! {
    /// A call made to a contact and how it ended.
    pub struct CallWrite {
        /// `no_answer`, `working` (plans to buy: the contact needs a name, and a comment is
        /// required), `not_a_client`, `not_relevant` (comment required), `postponed` (with
        /// `until`), `realtor_split` (another agency's realtor who accepts the commission split: a
        /// deal for the head of sales), `other_realtor` (who does not), `rude` (rude or hung up:
        /// call again tomorrow; the second time, non-target), `colleague` (with `colleague_id`).
        pub outcome: String,
        #[serde(default)]
        pub comment: Option<String>,
        /// For `postponed`: `YYYY-MM-DD`, after today.
        #[serde(default)]
        pub until: Option<String>,
        /// For `colleague`: who tries next (a task for them, tomorrow).
        #[serde(default)]
        pub colleague_id: Option<Uuid>,
        /// Made from this call list: the contact's entry on it is settled (reached when
        /// answered; otherwise tried again another day, or given up when non-target).
        #[serde(default)]
        pub list_id: Option<Uuid>,
    }

    /// A call made (`out`) or received through the telephone system (`in`).
    pub struct CallEntry {
        pub id: Uuid,
        pub contact_id: Option<Uuid>,
        pub user_id: Uuid,
        pub user_name: String,
        pub direction: String,
        pub answered: bool,
        pub outcome: Option<String>,
        /// The card's stage after the call.
        pub stage: Option<String>,
        pub comment: Option<String>,
        pub phone: Option<String>,
        pub at: DateTime<Utc>,
    }

    /// A co-brokerage deal with another agency's realtor: the split counts (`effective`) only
    /// once the head of sales approved it.
    pub struct CoDeal {
        pub id: Uuid,
        pub contact_id: Uuid,
        pub contact_name: String,
        pub partner_percent: u8,
        pub our_percent: u8,
        /// `proposed`, `approved` or `rejected`.
        pub status: String,
        pub effective: bool,
        pub note: Option<String>,
        pub proposed_by: Uuid,
        pub proposed_at: DateTime<Utc>,
        pub decided_by: Option<Uuid>,
        pub decided_at: Option<DateTime<Utc>>,
    }

    /// The head of sales' decision on a proposed deal.
    pub struct DealDecision {
        pub approve: bool,
        #[serde(default)]
        pub note: Option<String>,
    }

    /// A contact's card in the call-outcome pipeline.
    pub struct CallCard {
        pub contact_id: Uuid,
        /// `not_reached`, `working`, `postponed`, `call_again`, `with_colleague`, `co_brokerage`, `non_target`.
        pub stage: String,
        /// The company's word for the stage.
        pub stage_label: String,
        /// Why non-target: `cannot_reach`, `not_a_client`, `not_relevant`, `other_realtor`.
        pub reason: Option<String>,
        pub reason_label: Option<String>,
        /// Calls made.
        pub calls: u32,
        /// Unanswered calls in a row; at `max_unanswered` a client not yet reached is non-target.
        pub unanswered: u32,
        pub max_unanswered: u32,
        pub rude: u32,
        /// `YYYY-MM-DD`, the company's day of the last call.
        pub last_call_on: Option<String>,
        /// Postponed until, `YYYY-MM-DD`.
        pub until: Option<String>,
        /// False when the client was called today already, or the card is non-target.
        pub may_call_today: bool,
        pub tags: Vec<String>,
        pub deals: Vec<CoDeal>,
        /// The latest calls, newest first.
        pub history: Vec<CallEntry>,
    }

    /// A contact's tags (codes from the company's call settings), replacing the ones it had.
    pub struct ContactTags {
        pub tags: Vec<String>,
    }

    /// A code and the words for it.
    pub struct Label {
        pub code: String,
        pub label: String,
    }

    /// A tag a company puts on contacts.
    pub struct CallTag {
        /// Lower-case letters, digits and `_`, at most 40.
        pub code: String,
        pub label: String,
        /// Only the head of sales (office managers) and administrators set or remove it.
        #[serde(default)]
        pub manager_only: bool,
        /// The client stays with its broker: only the head of sales or an administrator hands it over.
        #[serde(default)]
        pub keeps_owner: bool,
        /// The broker gets a weekly nurture task while the tag is on.
        #[serde(default)]
        pub weekly_nurture: bool,
    }

    /// The company's words for the pipeline's stages and reasons, its tags and the partner
    /// agency's share in co-brokerage deals. `outcomes` (read only) names the call outcomes in
    /// the reader's language.
    pub struct CallSettings {
        pub stages: Vec<Label>,
        pub reasons: Vec<Label>,
        pub tags: Vec<CallTag>,
        pub partner_percent: u8,
        #[serde(default)]
        pub outcomes: Vec<Label>,
    }

    /// An incoming call, posted by a telephone system: the caller's number and the called user
    /// (by id, extension or email; one of them).
    pub struct IncomingCall {
        pub from: String,
        #[serde(default)]
        pub user_id: Option<Uuid>,
        #[serde(default)]
        pub extension: Option<String>,
        #[serde(default)]
        pub email: Option<String>,
    }

    /// An incoming call logged: the contacts the number matched (for the called user), on whose
    /// timelines it is written; the user's open app shows the caller's card at once.
    pub struct IncomingCallLogged {
        pub id: Uuid,
        pub user_id: Uuid,
        pub phone: String,
        pub contact_ids: Vec<Uuid>,
    }

    /// What the app's event stream (`GET /api/v1/me/events?ticket=`) sends when a call comes in.
    pub struct IncomingCallEvent {
        pub id: Uuid,
        pub phone: String,
        pub at: DateTime<Utc>,
    }

    /// A short-lived ticket that opens the caller's event stream (an `EventSource` cannot send
    /// an Authorization header).
    pub struct EventTicket {
        pub ticket: String,
        pub expires_in: u64,
    }

    /// The extension a telephone system knows a user by (none to clear it).
    pub struct UserExtension {
        #[serde(default)]
        pub extension: Option<String>,
    }
}

api_type! {
    /// Which contacts (a segment): the contact list's filters with the call pipeline's stage and
    /// tags, dates, viewings, bids, demands and opt-out; all combined with AND.
    #[derive(Default)]
    pub struct ContactSelection {
        /// `agency`, `verified`, `standard`, `draft`.
        #[serde(default)]
        pub kind: Option<String>,
        #[serde(default)]
        pub owner_id: Option<Uuid>,
        #[serde(default)]
        pub office_id: Option<Uuid>,
        /// Words, a phone or an email, as in the contact list's search.
        #[serde(default)]
        pub q: Option<String>,
        /// A stage of the call pipeline (`not_reached` includes contacts never called).
        #[serde(default)]
        pub stage: Option<String>,
        /// A tag code.
        #[serde(default)]
        pub tag: Option<String>,
        /// Created on or after this day (days are the company's calendar days).
        #[serde(default)]
        pub created_from: Option<NaiveDate>,
        /// Created on or before this day.
        #[serde(default)]
        pub created_to: Option<NaiveDate>,
        /// Called (either way) on or after this day.
        #[serde(default)]
        pub contacted_since: Option<NaiveDate>,
        /// Not called (either way) on or after this day.
        #[serde(default)]
        pub not_contacted_since: Option<NaiveDate>,
        /// Attended a viewing on or after this day…
        #[serde(default)]
        pub viewing_from: Option<NaiveDate>,
        /// …and on or before this day.
        #[serde(default)]
        pub viewing_to: Option<NaiveDate>,
        /// No customer meeting booked on or after this day.
        #[serde(default)]
        pub no_meeting_since: Option<NaiveDate>,
        /// Placed a bid on or after this day…
        #[serde(default)]
        pub bid_from: Option<NaiveDate>,
        /// …and on or before this day.
        #[serde(default)]
        pub bid_to: Option<NaiveDate>,
        /// Did not become a buyer of any listing within the last year.
        #[serde(default)]
        pub not_buyer: bool,
        /// Has an open demand whose area names this text: each of its words begins a word of the
        /// area, case and diacritics aside ("söder" finds "Södermalm").
        #[serde(default)]
        pub demand_area: Option<String>,
        /// Has an open demand whose price range takes this price.
        #[serde(default)]
        pub demand_price: Option<i64>,
        /// Opted out of messages (true) or not (false).
        #[serde(default)]
        pub opted_out: Option<bool>,
        /// On this newsletter list.
        #[serde(default)]
        pub newsletter_id: Option<Uuid>,
    }

    /// A segment to read a page of: a selection, and where the page starts.
    pub struct SegmentQuery {
        #[serde(default)]
        pub filter: ContactSelection,
        /// `next_cursor` of the page before.
        #[serde(default)]
        pub cursor: Option<String>,
        /// 1–200, default 50.
        #[serde(default)]
        pub limit: Option<u64>,
    }

    /// The contacts a bulk action or an export is for: those of the selection, or only the
    /// listed ones among them (at most 1,000).
    pub struct SegmentTarget {
        #[serde(default)]
        pub filter: ContactSelection,
        /// Absent: every contact of the selection.
        #[serde(default)]
        pub contact_ids: Option<Vec<Uuid>>,
    }

    /// A bulk action over a segment.
    pub struct SegmentAction {
        #[serde(default)]
        pub filter: ContactSelection,
        /// Absent: every contact of the selection.
        #[serde(default)]
        pub contact_ids: Option<Vec<Uuid>>,
        /// `email`, `sms`, `call_list` or `newsletter`.
        pub action: String,
        /// The email's subject (`email`).
        #[serde(default)]
        pub subject: Option<String>,
        /// The message (`email`, `sms`); an unsubscribe link is added.
        #[serde(default)]
        pub body: Option<String>,
        /// The call list or newsletter list (`call_list`, `newsletter`).
        #[serde(default)]
        pub list_id: Option<Uuid>,
    }

    /// What a bulk action did.
    pub struct SegmentActionResult {
        /// Contacts the selection found.
        pub matched: u64,
        /// Contacts the action was carried out for.
        pub done: u64,
        /// Left out: they opted out of messages.
        pub opted_out: u64,
        /// Left out: no email address (email) or phone number (SMS).
        pub no_channel: u64,
        /// Left out: already on the list, reached in the last 30 days, or non-target.
        pub skipped: u64,
    }

    /// A saved selection, private or shared with its creator's office.
    pub struct SavedFilterView {
        pub id: Uuid,
        pub name: String,
        pub filter: ContactSelection,
        /// Shared with the office.
        pub shared: bool,
        pub created_by: Uuid,
        pub created_by_name: String,
        pub updated_at: DateTime<Utc>,
    }

    /// A selection to save.
    pub struct SavedFilterWrite {
        pub name: String,
        #[serde(default)]
        pub filter: ContactSelection,
        /// Shared with the creator's office (default: private).
        #[serde(default)]
        pub shared: bool,
    }

    /// A newsletter list.
    pub struct NewsletterListView {
        pub id: Uuid,
        pub name: String,
        pub members: u64,
        pub archived: bool,
        pub created_by: Uuid,
        pub created_at: DateTime<Utc>,
    }

    /// A newsletter list to create or change.
    pub struct NewsletterListWrite {
        pub name: String,
        #[serde(default)]
        pub archived: bool,
    }

    /// A call list to create or change.
    pub struct CallListWrite {
        pub name: String,
        /// A full call script or a short summary, shown beside the contact while calling.
        #[serde(default)]
        pub instructions: String,
        /// Worked by this user, or by `group_id`'s members; by its creator when neither.
        #[serde(default)]
        pub user_id: Option<Uuid>,
        #[serde(default)]
        pub group_id: Option<Uuid>,
        /// Filled every night from this selection (as its creator sees the contacts).
        #[serde(default)]
        pub nightly: Option<ContactSelection>,
        #[serde(default)]
        pub archived: bool,
    }

    /// How far a list has come.
    pub struct ListProgress {
        pub total: u64,
        /// Not settled yet.
        pub open: u64,
        /// Reached, or given up as non-target.
        pub done: u64,
        pub reached: u64,
        /// Called and not reached (waiting for another day, or given up).
        pub not_reached: u64,
    }

    pub struct CallList {
        pub id: Uuid,
        pub name: String,
        pub instructions: String,
        pub user_id: Option<Uuid>,
        pub group_id: Option<Uuid>,
        pub nightly: Option<ContactSelection>,
        pub created_by: Uuid,
        pub created_at: DateTime<Utc>,
        pub archived: bool,
        pub progress: ListProgress,
    }

    /// What filling a list did.
    pub struct FillResult {
        pub added: u64,
        /// Matching contacts left out: already open on the list, reached in the last 30 days,
        /// non-target, or not of the stage or tag asked for.
        pub skipped: u64,
    }

    /// The next contact to call from a list, now taken by the caller (none when the list has
    /// nobody left to call today).
    pub struct NextCall {
        pub contact: Option<ContactSummary>,
        /// Calls already made to the contact from the list.
        pub attempts: u32,
    }

    /// Calls with one outcome.
    pub struct OutcomeCount {
        pub outcome: String,
        pub label: String,
        pub count: u64,
    }

    /// One caller's calls in a period.
    pub struct CallerStats {
        pub user_id: Uuid,
        pub name: String,
        pub calls: u64,
        pub reached: u64,
        /// Clients called who got a customer meeting booked after the call.
        pub meetings: u64,
        pub outcomes: Vec<OutcomeCount>,
    }

    /// Calls made from one list in a period, and its progress.
    pub struct ListStats {
        pub list_id: Uuid,
        pub name: String,
        pub calls: u64,
        pub reached: u64,
        pub progress: ListProgress,
    }

    /// Calling in a period, per caller and per list.
    pub struct CallReport {
        pub from: String,
        pub to: String,
        pub callers: Vec<CallerStats>,
        pub lists: Vec<ListStats>,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    #[derive(serde::Serialize)]
    struct Fast(#[serde(serialize_with = "super::serialize_utc")] DateTime<Utc>);

    /// Every kind of fraction, the ends of the fast range and what falls back to chrono.
    #[test]
    fn times_are_written_as_chrono_writes_them() {
        let base = Utc.with_ymd_and_hms(2024, 2, 29, 23, 5, 9).unwrap();
        let mut times = vec![
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(-1, 6, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
        ];
        for nanos in [0, 1, 7_000, 120_000_000, 999_999_999, 735_257_461, 5_000_000, 1_000, 100] {
            times.push(base + chrono::Duration::nanoseconds(nanos));
        }
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..10_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let secs = (seed % 8_000_000_000) as i64 - 1_000_000_000;
            let nanos = match seed % 4 {
                0 => 0,
                1 => (seed >> 8) as u32 % 1_000 * 1_000_000,
                2 => (seed >> 8) as u32 % 1_000_000 * 1_000,
                _ => (seed >> 8) as u32 % 1_000_000_000,
            };
            times.push(DateTime::from_timestamp(secs, nanos).unwrap());
        }
        for t in times {
            assert_eq!(
                serde_json::to_string(&Fast(t)).unwrap(),
                serde_json::to_string(&t).unwrap(),
                "{t:?}"
            );
        }
    }
}
