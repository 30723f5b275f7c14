//! The call-outcome pipeline: how a lead is worked by telephone (seed 002).
//!
//! Every contact that is called has a card: its stage, the calls made, how many of the latest
//! went unanswered, how often the client was rude. A lead is called at most once a day. Three
//! unanswered calls in a row while the client has not been reached make the card non-target
//! ("cannot reach"). An answered call ends in one outcome, which moves the card and may ask for
//! tasks (contact on a date, call again tomorrow, a colleague tries) or propose a co-brokerage
//! deal, whose commission split only takes effect once the head of sales approves it.
//!
//! Stages and reasons are fixed codes (the rules hang on them); a company names them in its own
//! words and adds its own tags in [`CallSettings`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Unanswered calls in a row after which a client not yet reached is non-target.
pub const MAX_UNANSWERED: u32 = 3;
/// Rude answers after which a client is non-target "not a client".
pub const MAX_RUDE: u32 = 2;
/// The partner agency's share of the commission unless the company says otherwise.
pub const DEFAULT_PARTNER_PERCENT: u8 = 30;

/// Where a card stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Not yet reached (new leads start here; unanswered calls keep them here).
    NotReached,
    /// Reached and being worked: the mandatory fields are filled and commented.
    Working,
    /// The client put the purchase off until a date (nurtured weekly until then).
    Postponed,
    /// The client was rude or hung up: call again tomorrow.
    CallAgain,
    /// Handed to a colleague to try.
    WithColleague,
    /// Another agency's realtor: a co-brokerage deal is proposed or running.
    CoBrokerage,
    /// Not a target, for a [`Reason`].
    NonTarget,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Self::NotReached,
        Self::Working,
        Self::Postponed,
        Self::CallAgain,
        Self::WithColleague,
        Self::CoBrokerage,
        Self::NonTarget,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotReached => "not_reached",
            Self::Working => "working",
            Self::Postponed => "postponed",
            Self::CallAgain => "call_again",
            Self::WithColleague => "with_colleague",
            Self::CoBrokerage => "co_brokerage",
            Self::NonTarget => "non_target",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Stages of a client not yet really reached, where the three-call rule applies.
    pub fn reaching(self) -> bool {
        matches!(self, Self::NotReached | Self::CallAgain | Self::WithColleague)
    }
}

/// Why a card is non-target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    CannotReach,
    NotAClient,
    NotRelevant,
    OtherRealtor,
}

impl Reason {
    pub const ALL: [Reason; 4] = [Self::CannotReach, Self::NotAClient, Self::NotRelevant, Self::OtherRealtor];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CannotReach => "cannot_reach",
            Self::NotAClient => "not_a_client",
            Self::NotRelevant => "not_relevant",
            Self::OtherRealtor => "other_realtor",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

/// A contact's card in the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub stage: Stage,
    /// Set exactly when the stage is non-target.
    pub reason: Option<Reason>,
    /// Calls made (answered or not).
    pub calls: u32,
    /// Unanswered calls since the last answered one.
    pub unanswered: u32,
    /// Rude answers since the card was last opened.
    pub rude: u32,
    /// The day (in the company's time zone) of the last call.
    pub last_call_on: Option<NaiveDate>,
}

impl Default for Card {
    fn default() -> Self {
        Self {
            stage: Stage::NotReached,
            reason: None,
            calls: 0,
            unanswered: 0,
            rude: 0,
            last_call_on: None,
        }
    }
}

impl Card {
    /// Whether a call may be made on `today`.
    pub fn may_call(&self, today: NaiveDate) -> bool {
        self.stage != Stage::NonTarget && self.last_call_on.is_none_or(|d| d < today)
    }
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nobody answered.
    NoAnswer,
    /// The client plans to buy: work the lead (mandatory fields and a comment).
    Working,
    /// Plans nothing, clicked an advert by chance.
    NotAClient,
    /// Not relevant any more (a comment says why, e.g. bought and registered elsewhere).
    NotRelevant,
    /// Put off until a date.
    Postponed,
    /// Another agency's realtor who accepts the commission split: a deal is proposed.
    RealtorSplit,
    /// Another agency's realtor who does not accept the split.
    OtherRealtor,
    /// Rude, or hung up.
    Rude,
    /// Give the client to a colleague to try.
    Colleague,
}

impl Outcome {
    pub const ALL: [Outcome; 9] = [
        Self::NoAnswer,
        Self::Working,
        Self::NotAClient,
        Self::NotRelevant,
        Self::Postponed,
        Self::RealtorSplit,
        Self::OtherRealtor,
        Self::Rude,
        Self::Colleague,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoAnswer => "no_answer",
            Self::Working => "working",
            Self::NotAClient => "not_a_client",
            Self::NotRelevant => "not_relevant",
            Self::Postponed => "postponed",
            Self::RealtorSplit => "realtor_split",
            Self::OtherRealtor => "other_realtor",
            Self::Rude => "rude",
            Self::Colleague => "colleague",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == value)
    }

    pub fn answered(self) -> bool {
        self != Self::NoAnswer
    }
}

/// What the caller said beyond the outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallDetails {
    pub comment: bool,
    /// For [`Outcome::Postponed`]: until when.
    pub until: Option<NaiveDate>,
    /// For [`Outcome::Working`]: the contact's mandatory fields are filled.
    pub mandatory_filled: bool,
    /// For [`Outcome::Colleague`]: a colleague is named.
    pub colleague: bool,
}

/// Work a call asks for, besides moving the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// A task "contact on <date>", due that day.
    ContactOn(NaiveDate),
    /// A task to call again tomorrow.
    CallTomorrow,
    /// A task for the named colleague to try, tomorrow.
    ColleagueTries,
    /// A co-brokerage deal waiting for the head of sales.
    ProposeDeal,
}

/// Why a call or decision is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("this client was already called today; call again tomorrow")]
    AlreadyCalledToday,
    #[error("the card is non-target; reopen it first")]
    Closed,
    #[error("a comment is required for this outcome")]
    CommentMissing,
    #[error("fill the client's mandatory fields (a name) before working the lead")]
    MandatoryMissing,
    #[error("a postponed call needs a date after today")]
    DateMissing,
    #[error("name the colleague who should try")]
    ColleagueMissing,
    #[error("a co-brokerage deal for this client already exists")]
    DealExists,
    #[error("only non-target cards are reopened")]
    NotClosed,
}

impl CallError {
    pub fn code(self) -> &'static str {
        match self {
            Self::AlreadyCalledToday => "already_called_today",
            Self::Closed => "card_closed",
            Self::CommentMissing => "comment_missing",
            Self::MandatoryMissing => "mandatory_missing",
            Self::DateMissing => "date_missing",
            Self::ColleagueMissing => "colleague_missing",
            Self::DealExists => "deal_exists",
            Self::NotClosed => "card_open",
        }
    }

    /// The request field at fault, for input errors (the rest are conflicts with the card).
    pub fn field(self) -> Option<&'static str> {
        match self {
            Self::CommentMissing => Some("comment"),
            Self::MandatoryMissing => Some("first_name"),
            Self::DateMissing => Some("until"),
            Self::ColleagueMissing => Some("colleague_id"),
            _ => None,
        }
    }
}

fn non_target(card: &mut Card, reason: Reason) {
    card.stage = Stage::NonTarget;
    card.reason = Some(reason);
}

/// Records a call made on `today` with `outcome`: the new card and the work it asks for.
pub fn call(card: &Card, outcome: Outcome, details: &CallDetails, today: NaiveDate) -> Result<(Card, Vec<Effect>), CallError> {
    if card.stage == Stage::NonTarget {
        return Err(CallError::Closed);
    }
    if !card.may_call(today) {
        return Err(CallError::AlreadyCalledToday);
    }
    let mut next = card.clone();
    next.calls += 1;
    next.last_call_on = Some(today);
    let mut effects = Vec::new();
    if !outcome.answered() {
        next.unanswered += 1;
        if card.stage.reaching() && next.unanswered >= MAX_UNANSWERED {
            non_target(&mut next, Reason::CannotReach);
        }
        return Ok((next, effects));
    }
    next.unanswered = 0;
    match outcome {
        Outcome::NoAnswer => unreachable!("handled above"),
        Outcome::Working => {
            if !details.mandatory_filled {
                return Err(CallError::MandatoryMissing);
            }
            if !details.comment {
                return Err(CallError::CommentMissing);
            }
            next.stage = Stage::Working;
        }
        Outcome::NotAClient => non_target(&mut next, Reason::NotAClient),
        Outcome::NotRelevant => {
            if !details.comment {
                return Err(CallError::CommentMissing);
            }
            non_target(&mut next, Reason::NotRelevant);
        }
        Outcome::Postponed => {
            let until = details.until.filter(|d| *d > today).ok_or(CallError::DateMissing)?;
            next.stage = Stage::Postponed;
            effects.push(Effect::ContactOn(until));
        }
        Outcome::RealtorSplit => {
            if card.stage == Stage::CoBrokerage {
                return Err(CallError::DealExists);
            }
            next.stage = Stage::CoBrokerage;
            effects.push(Effect::ProposeDeal);
        }
        Outcome::OtherRealtor => non_target(&mut next, Reason::OtherRealtor),
        Outcome::Rude => {
            next.rude += 1;
            if next.rude >= MAX_RUDE {
                non_target(&mut next, Reason::NotAClient);
            } else {
                next.stage = Stage::CallAgain;
                effects.push(Effect::CallTomorrow);
            }
        }
        Outcome::Colleague => {
            if !details.colleague {
                return Err(CallError::ColleagueMissing);
            }
            next.stage = Stage::WithColleague;
            effects.push(Effect::ColleagueTries);
        }
    }
    Ok((next, effects))
}

/// Opens a non-target card again (the head of sales' decision): the client is to be reached
/// anew, with the counts of unanswered calls and rude answers cleared; calls made stay counted.
pub fn reopen(card: &Card) -> Result<Card, CallError> {
    if card.stage != Stage::NonTarget {
        return Err(CallError::NotClosed);
    }
    Ok(Card {
        stage: Stage::NotReached,
        reason: None,
        unanswered: 0,
        rude: 0,
        ..card.clone()
    })
}

/// A co-brokerage deal's state: its split counts only once approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    Proposed,
    Approved,
    Rejected,
}

impl DealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Proposed, Self::Approved, Self::Rejected]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

/// Why a deal decision is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DealError {
    #[error("only the head of sales (an office manager) or an administrator decides co-brokerage deals")]
    NotHeadOfSales,
    #[error("this deal is already decided")]
    Decided,
}

impl DealError {
    pub fn code(self) -> &'static str {
        match self {
            Self::NotHeadOfSales => "not_head_of_sales",
            Self::Decided => "deal_decided",
        }
    }
}

/// The head of sales approves or rejects a proposed deal. A rejected deal makes the card
/// non-target "other realtor" (no deal on other terms); an approved one keeps it in co-brokerage.
pub fn decide_deal(deal: DealStatus, card: &Card, approve: bool, head_of_sales: bool) -> Result<(DealStatus, Card), DealError> {
    if !head_of_sales {
        return Err(DealError::NotHeadOfSales);
    }
    if deal != DealStatus::Proposed {
        return Err(DealError::Decided);
    }
    let mut next = card.clone();
    if approve {
        Ok((DealStatus::Approved, next))
    } else {
        if next.stage == Stage::CoBrokerage {
            non_target(&mut next, Reason::OtherRealtor);
        }
        Ok((DealStatus::Rejected, next))
    }
}

/// A commission split in whole percent; ours is the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub partner_percent: u8,
}

impl Split {
    pub fn new(partner_percent: u8) -> Option<Self> {
        (partner_percent <= 100).then_some(Self { partner_percent })
    }

    pub fn our_percent(self) -> u8 {
        100 - self.partner_percent
    }
}

/// A tag a company puts on contacts, with what it means for the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagDef {
    /// Stable code (lower-case letters, digits, `_`).
    pub code: String,
    /// The company's word for it.
    pub label: String,
    /// Only the head of sales (office managers) and administrators set or remove it.
    #[serde(default)]
    pub manager_only: bool,
    /// The client stays with its broker: only the head of sales or an administrator hands it over.
    #[serde(default)]
    pub keeps_owner: bool,
    /// The client's broker gets a weekly nurture task while the tag is on.
    #[serde(default)]
    pub weekly_nurture: bool,
}

/// A company's words for the pipeline, its tags and its default split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSettings {
    /// Label per stage code.
    pub stages: BTreeMap<String, String>,
    /// Label per non-target reason code.
    pub reasons: BTreeMap<String, String>,
    pub tags: Vec<TagDef>,
    /// The partner agency's share in co-brokerage deals, percent.
    pub partner_percent: u8,
}

pub const MAX_TAGS: usize = 40;
pub const MAX_LABEL: usize = 60;
pub const MAX_TAG_CODE: usize = 40;
/// Tags on one contact.
pub const MAX_CONTACT_TAGS: usize = 20;

/// Codes of the tags every company starts with.
pub const APPROVED_BY_HEAD_OF_SALES: &str = "approved_by_head_of_sales";
pub const SELLING_OWN_HOME: &str = "selling_own_home";

/// A problem with settings: the field (JSON path) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SettingsError {
    pub field: String,
    pub message: String,
}

fn settings_error(field: String, message: &str) -> SettingsError {
    SettingsError {
        field,
        message: message.to_owned(),
    }
}

fn check_label(field: String, label: &str) -> Result<String, SettingsError> {
    let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
    if label.is_empty() {
        return Err(settings_error(field, "must not be empty"));
    }
    if label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) {
        return Err(settings_error(field, "at most 60 printable characters"));
    }
    Ok(label)
}

/// Whether `code` may name a tag.
pub fn valid_tag_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= MAX_TAG_CODE && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl CallSettings {
    /// The defaults, labelled by `label(key)` (the company's language).
    pub fn defaults(label: impl Fn(&str) -> String) -> Self {
        Self {
            stages: Stage::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), label(&format!("stage.{}", s.as_str()))))
                .collect(),
            reasons: Reason::ALL
                .iter()
                .map(|r| (r.as_str().to_owned(), label(&format!("reason.{}", r.as_str()))))
                .collect(),
            tags: vec![
                TagDef {
                    code: APPROVED_BY_HEAD_OF_SALES.into(),
                    label: label(&format!("tag.{APPROVED_BY_HEAD_OF_SALES}")),
                    manager_only: true,
                    keeps_owner: true,
                    weekly_nurture: true,
                },
                TagDef {
                    code: SELLING_OWN_HOME.into(),
                    label: label(&format!("tag.{SELLING_OWN_HOME}")),
                    manager_only: false,
                    keeps_owner: false,
                    weekly_nurture: true,
                },
            ],
            partner_percent: DEFAULT_PARTNER_PERCENT,
        }
    }

    /// Checks settings as sent: every stage and reason labelled (unknown codes refused), tag codes
    /// valid and unique, labels short, the split a percentage. Labels come back tidied.
    pub fn check(mut self) -> Result<Self, SettingsError> {
        for code in self.stages.keys() {
            if Stage::parse(code).is_none() {
                return Err(settings_error(format!("stages.{code}"), "no such stage"));
            }
        }
        for code in self.reasons.keys() {
            if Reason::parse(code).is_none() {
                return Err(settings_error(format!("reasons.{code}"), "no such reason"));
            }
        }
        for s in Stage::ALL {
            let label = self.stages.get(s.as_str()).map(String::as_str).unwrap_or("");
            let tidy = check_label(format!("stages.{}", s.as_str()), label)?;
            self.stages.insert(s.as_str().to_owned(), tidy);
        }
        for r in Reason::ALL {
            let label = self.reasons.get(r.as_str()).map(String::as_str).unwrap_or("");
            let tidy = check_label(format!("reasons.{}", r.as_str()), label)?;
            self.reasons.insert(r.as_str().to_owned(), tidy);
        }
        if self.tags.len() > MAX_TAGS {
            return Err(settings_error("tags".into(), "at most 40 tags"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, t) in self.tags.iter_mut().enumerate() {
            if !valid_tag_code(&t.code) {
                return Err(settings_error(format!("tags[{i}].code"), "1 to 40 lower-case letters, digits or _"));
            }
            if !seen.insert(t.code.clone()) {
                return Err(settings_error(format!("tags[{i}].code"), "used twice"));
            }
            t.label = check_label(format!("tags[{i}].label"), &t.label)?;
        }
        if self.partner_percent > 100 {
            return Err(settings_error("partner_percent".into(), "a percentage from 0 to 100"));
        }
        Ok(self)
    }

    pub fn tag(&self, code: &str) -> Option<&TagDef> {
        self.tags.iter().find(|t| t.code == code)
    }

    pub fn stage_label(&self, stage: Stage) -> &str {
        self.stages.get(stage.as_str()).map(String::as_str).unwrap_or(stage.as_str())
    }

    pub fn reason_label(&self, reason: Reason) -> &str {
        self.reasons.get(reason.as_str()).map(String::as_str).unwrap_or(reason.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() + chrono::Duration::days(n)
    }

    fn full() -> CallDetails {
        CallDetails {
            comment: true,
            until: None,
            mandatory_filled: true,
            colleague: true,
        }
    }

    #[test]
    fn three_unanswered_calls_make_a_card_non_target() {
        let mut card = Card::default();
        for d in 0..2 {
            card = call(&card, Outcome::NoAnswer, &full(), day(d)).unwrap().0;
            assert_eq!(card.stage, Stage::NotReached);
        }
        assert_eq!(
            call(&card, Outcome::NoAnswer, &full(), day(1)).unwrap_err(),
            CallError::AlreadyCalledToday
        );
        card = call(&card, Outcome::NoAnswer, &full(), day(2)).unwrap().0;
        assert_eq!(
            (card.stage, card.reason, card.calls),
            (Stage::NonTarget, Some(Reason::CannotReach), 3)
        );
        assert_eq!(call(&card, Outcome::Working, &full(), day(3)).unwrap_err(), CallError::Closed);
    }

    #[test]
    fn an_answer_resets_the_unanswered_count() {
        let mut card = Card::default();
        card = call(&card, Outcome::NoAnswer, &full(), day(0)).unwrap().0;
        card = call(&card, Outcome::NoAnswer, &full(), day(1)).unwrap().0;
        card = call(&card, Outcome::Rude, &full(), day(2)).unwrap().0;
        assert_eq!((card.stage, card.unanswered), (Stage::CallAgain, 0));
        card = call(&card, Outcome::NoAnswer, &full(), day(3)).unwrap().0;
        assert_eq!(card.stage, Stage::CallAgain);
        let (card, effects) = call(&card, Outcome::Rude, &full(), day(4)).unwrap();
        assert_eq!((card.stage, card.reason), (Stage::NonTarget, Some(Reason::NotAClient)));
        assert!(effects.is_empty());
    }

    #[test]
    fn answered_outcomes_ask_for_what_the_instructions_ask_for() {
        let c = Card::default();
        let no_comment = CallDetails { comment: false, ..full() };
        assert_eq!(
            call(&c, Outcome::NotRelevant, &no_comment, day(0)).unwrap_err(),
            CallError::CommentMissing
        );
        assert_eq!(
            call(&c, Outcome::Working, &no_comment, day(0)).unwrap_err(),
            CallError::CommentMissing
        );
        let unnamed = CallDetails {
            mandatory_filled: false,
            ..full()
        };
        assert_eq!(
            call(&c, Outcome::Working, &unnamed, day(0)).unwrap_err(),
            CallError::MandatoryMissing
        );
        assert_eq!(call(&c, Outcome::Postponed, &full(), day(0)).unwrap_err(), CallError::DateMissing);
        let later = CallDetails {
            until: Some(day(30)),
            ..full()
        };
        let (p, effects) = call(&c, Outcome::Postponed, &later, day(0)).unwrap();
        assert_eq!((p.stage, effects), (Stage::Postponed, vec![Effect::ContactOn(day(30))]));
        let (d, effects) = call(&c, Outcome::RealtorSplit, &full(), day(0)).unwrap();
        assert_eq!((d.stage, effects), (Stage::CoBrokerage, vec![Effect::ProposeDeal]));
        assert_eq!(call(&d, Outcome::RealtorSplit, &full(), day(1)).unwrap_err(), CallError::DealExists);
        let (o, _) = call(&c, Outcome::OtherRealtor, &full(), day(0)).unwrap();
        assert_eq!(o.reason, Some(Reason::OtherRealtor));
        let nobody = CallDetails {
            colleague: false,
            ..full()
        };
        assert_eq!(
            call(&c, Outcome::Colleague, &nobody, day(0)).unwrap_err(),
            CallError::ColleagueMissing
        );
    }

    #[test]
    fn deals_wait_for_the_head_of_sales() {
        let (card, _) = call(&Card::default(), Outcome::RealtorSplit, &full(), day(0)).unwrap();
        assert_eq!(
            decide_deal(DealStatus::Proposed, &card, true, false).unwrap_err(),
            DealError::NotHeadOfSales
        );
        let (status, kept) = decide_deal(DealStatus::Proposed, &card, true, true).unwrap();
        assert_eq!((status, kept.stage), (DealStatus::Approved, Stage::CoBrokerage));
        assert_eq!(decide_deal(status, &kept, false, true).unwrap_err(), DealError::Decided);
        let (status, lost) = decide_deal(DealStatus::Proposed, &card, false, true).unwrap();
        assert_eq!((status, lost.reason), (DealStatus::Rejected, Some(Reason::OtherRealtor)));
    }

    #[test]
    fn settings_are_checked_where_they_are_wrong() {
        let ok = CallSettings::defaults(|k| k.to_owned());
        assert_eq!(ok.clone().check().unwrap(), ok);
        let mut bad = ok.clone();
        bad.tags[1].code = "Selling Home".into();
        assert_eq!(bad.check().unwrap_err().field, "tags[1].code");
        let mut bad = ok.clone();
        bad.stages.insert("working".into(), "  ".into());
        assert_eq!(bad.check().unwrap_err().field, "stages.working");
        let mut bad = ok.clone();
        bad.reasons.insert("spam".into(), "Spam".into());
        assert_eq!(bad.check().unwrap_err().field, "reasons.spam");
        let mut bad = ok;
        bad.partner_percent = 101;
        assert_eq!(bad.check().unwrap_err().field, "partner_percent");
    }

    #[derive(Debug, Clone)]
    enum Action {
        Call(Outcome, bool, bool),
        NextDay,
        Reopen,
        Decide(bool, bool),
    }

    fn actions() -> impl Strategy<Value = Action> {
        prop_oneof![
            4 => (proptest::sample::select(Outcome::ALL.to_vec()), any::<bool>(), any::<bool>())
                .prop_map(|(o, c, m)| Action::Call(o, c, m)),
            3 => Just(Action::NextDay),
            1 => Just(Action::Reopen),
            1 => (any::<bool>(), any::<bool>()).prop_map(|(a, h)| Action::Decide(a, h)),
        ]
    }

    proptest! {
        // Whatever is tried in whatever order, no path skips the rules: at most one call a day;
        // "cannot reach" only after three unanswered calls in a row on a client not yet reached;
        // "not a client" by rudeness only at the second rude answer; a split counts only after
        // the head of sales approved a proposed deal; the counts match the calls accepted.
        #[test]
        fn no_path_skips_the_rules(tries in proptest::collection::vec(actions(), 0..40)) {
            let mut card = Card::default();
            let mut today = day(0);
            let mut deal: Option<DealStatus> = None;
            let mut calls_accepted = 0;
            let mut days_called = std::collections::BTreeSet::new();
            let mut history: Vec<Outcome> = Vec::new();
            for action in tries {
                match action {
                    Action::NextDay => today += chrono::Duration::days(1),
                    Action::Reopen => {
                        if let Ok(next) = reopen(&card) {
                            prop_assert_eq!(card.stage, Stage::NonTarget);
                            card = next;
                            history.clear();
                        } else {
                            prop_assert_ne!(card.stage, Stage::NonTarget);
                        }
                    }
                    Action::Decide(approve, head) => {
                        if let Some(d) = deal {
                            match decide_deal(d, &card, approve, head) {
                                Ok((status, next)) => {
                                    prop_assert!(head);
                                    prop_assert_eq!(d, DealStatus::Proposed);
                                    deal = Some(status);
                                    card = next;
                                }
                                Err(_) => prop_assert!(!head || d != DealStatus::Proposed),
                            }
                        }
                    }
                    Action::Call(outcome, comment, mandatory) => {
                        let details = CallDetails { comment, until: Some(today + chrono::Duration::days(7)), mandatory_filled: mandatory, colleague: true };
                        let before = card.clone();
                        match call(&card, outcome, &details, today) {
                            Ok((next, effects)) => {
                                prop_assert!(days_called.insert(today), "two calls on {}", today);
                                prop_assert_ne!(before.stage, Stage::NonTarget);
                                calls_accepted += 1;
                                prop_assert_eq!(next.calls, calls_accepted);
                                if effects.contains(&Effect::ProposeDeal) {
                                    prop_assert!(deal.is_none() || before.stage != Stage::CoBrokerage);
                                    deal = Some(DealStatus::Proposed);
                                }
                                history.push(outcome);
                                if next.reason == Some(Reason::CannotReach) && before.reason != Some(Reason::CannotReach) {
                                    let last: Vec<_> = history.iter().rev().take(MAX_UNANSWERED as usize).collect();
                                    prop_assert!(last.len() == MAX_UNANSWERED as usize && last.iter().all(|o| **o == Outcome::NoAnswer));
                                    prop_assert!(before.stage.reaching());
                                }
                                if outcome == Outcome::Rude && next.stage == Stage::NonTarget {
                                    prop_assert_eq!(history.iter().filter(|o| **o == Outcome::Rude).count(), MAX_RUDE as usize);
                                }
                                prop_assert_eq!(next.stage == Stage::NonTarget, next.reason.is_some());
                                card = next;
                            }
                            Err(e) => {
                                prop_assert!(before.stage == Stage::NonTarget || before.last_call_on == Some(today) || e.field().is_some() || e == CallError::DealExists);
                            }
                        }
                    }
                }
            }
        }
    }
}
