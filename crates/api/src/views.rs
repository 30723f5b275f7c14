//! Store records turned into API bodies.

use crm_domain::i18n::{Locale, event_text};
use crm_domain::org::Scope;
use crm_domain::permissions::Permissions;
use crm_store::contacts::{ContactRecord, TimelineRecord};
use crm_store::org::{Company, Directory, User};
use crm_store::properties::{DemandRecord, PropertyRecord};
use crm_types as t;

use crate::error::ApiError;

pub fn permissions(p: &Permissions) -> t::PermissionSet {
    t::PermissionSet {
        work_with_clients: p.work_with_clients,
        offer_scope: p.offer_scope.as_str().to_owned(),
        demand_scope: p.demand_scope.as_str().to_owned(),
        export: p.export,
        admin: p.admin,
    }
}

pub fn parse_permissions(p: &t::PermissionSet) -> Result<Permissions, ApiError> {
    let scope = |field: &str, v: &str| {
        Scope::parse(v).ok_or_else(|| ApiError::invalid("invalid_scope", field, format!("'{v}' is not a scope (own, office, company)")))
    };
    Ok(Permissions {
        work_with_clients: p.work_with_clients,
        offer_scope: scope("permissions.offer_scope", &p.offer_scope)?,
        demand_scope: scope("permissions.demand_scope", &p.demand_scope)?,
        export: p.export,
        admin: p.admin,
    })
}

pub fn company(c: &Company) -> t::CompanySummary {
    t::CompanySummary {
        id: c.id.0,
        name: c.name.clone(),
        country: c.country.code(),
        locale: c.locale.clone(),
        currency: c.currency.clone(),
        time_zone: c.time_zone.name().to_owned(),
    }
}

pub fn user(u: &User, dir: &Directory) -> t::User {
    t::User {
        id: u.id.0,
        name: u.name.clone(),
        email: u.email.clone(),
        role: u.role.as_str().to_owned(),
        office_id: u.office_id.0,
        office_name: dir.office_name(u.office_id),
        permissions: permissions(&u.permissions),
        active: u.active,
        notify_email: u.notify_email,
        locale: u.locale.clone(),
        extension: u.extension.clone(),
    }
}

pub fn co_deal(d: crm_store::calls::DealRecord) -> t::CoDeal {
    t::CoDeal {
        id: d.id,
        contact_id: d.contact_id.0,
        contact_name: d.contact_name.clone(),
        partner_percent: d.partner_percent,
        our_percent: 100 - d.partner_percent.min(100),
        status: d.status.as_str().to_owned(),
        effective: d.effective(),
        note: d.note,
        proposed_by: d.proposed_by.0,
        proposed_at: d.proposed_at,
        decided_by: d.decided_by.map(|u| u.0),
        decided_at: d.decided_at,
    }
}

pub fn call_card(c: crm_store::calls::CallCardRecord, settings: &crm_domain::calls::CallSettings, dir: &Directory) -> t::CallCard {
    t::CallCard {
        contact_id: c.contact_id.0,
        stage: c.stage.as_str().to_owned(),
        stage_label: settings.stage_label(c.stage).to_owned(),
        reason: c.reason.map(|r| r.as_str().to_owned()),
        reason_label: c.reason.map(|r| settings.reason_label(r).to_owned()),
        calls: c.calls,
        unanswered: c.unanswered,
        max_unanswered: crm_domain::calls::MAX_UNANSWERED,
        rude: c.rude,
        last_call_on: c.last_call_on.map(|d| d.to_string()),
        until: c.until.map(|d| d.to_string()),
        may_call_today: c.may_call_today,
        tags: c.tags,
        deals: c.deals.into_iter().map(co_deal).collect(),
        history: c
            .history
            .into_iter()
            .map(|h| t::CallEntry {
                id: h.id,
                contact_id: h.contact_id.map(|c| c.0),
                user_id: h.user_id.0,
                user_name: dir.user_name(h.user_id),
                direction: h.direction,
                answered: h.answered,
                outcome: h.outcome.map(|o| o.as_str().to_owned()),
                stage: h.stage.map(|s| s.as_str().to_owned()),
                comment: h.comment,
                phone: h.phone,
                at: h.at,
            })
            .collect(),
    }
}

pub fn me(u: &User, c: &Company, dir: &Directory) -> t::Me {
    t::Me {
        id: u.id.0,
        name: u.name.clone(),
        email: u.email.clone(),
        role: u.role.as_str().to_owned(),
        office_id: u.office_id.0,
        office_name: dir.office_name(u.office_id),
        locale: u.locale.clone(),
        time_zone: u.zone(c).name().to_owned(),
        own_time_zone: u.time_zone.is_some(),
        booking_confirmation: u.booking_confirmation.map(|b| b.as_str().to_owned()),
        permissions: permissions(&u.permissions),
        company: company(c),
    }
}

pub fn contact_summary(c: &ContactRecord, dir: &Directory) -> t::ContactSummary {
    let d = &c.data;
    t::ContactSummary {
        id: c.id.0,
        kind: d.kind.as_str().to_owned(),
        display_name: d.display_name(),
        first_name: d.first_name.clone(),
        last_name: d.last_name.clone(),
        agency_name: d.agency_name.clone(),
        phones: d.phones.iter().map(|p| p.to_string()).collect(),
        emails: d.emails.iter().map(|e| e.to_string()).collect(),
        city: d.city.clone(),
        owner_id: c.owner_id.0,
        owner_name: dir.user_name(c.owner_id),
        office_id: c.office_id.0,
        office_name: dir.office_name(c.office_id),
        on_offer: c.on_offer,
        on_demand: c.on_demand,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

pub fn contact(c: &ContactRecord, dir: &Directory, properties: Vec<t::ContactProperty>, demands: Vec<t::Demand>) -> t::Contact {
    let d = &c.data;
    t::Contact {
        summary: contact_summary(c, dir),
        street: d.street.clone(),
        postal_code: d.postal_code.clone(),
        country: d.country.map(|c| c.code()),
        lat: d.location.map(|p| p.lat),
        lon: d.location.map(|p| p.lon),
        opted_out: d.opted_out,
        properties,
        demands,
    }
}

/// A timeline entry told in the reader's language.
pub fn timeline(e: &TimelineRecord, dir: &Directory, reader: Locale) -> t::TimelineEntry {
    let body = match &e.params {
        Some(params) if e.body.is_empty() => event_text(reader, &e.kind, params),
        _ => e.body.clone(),
    };
    t::TimelineEntry {
        id: e.id.0,
        contact_id: e.contact_id.0,
        kind: e.kind.clone(),
        body,
        params: e.params.clone(),
        property_id: e.property_id.map(|p| p.0),
        demand_id: e.demand_id.map(|d| d.0),
        author_id: e.author_id.map(|a| a.0),
        author_name: e.author_id.map(|a| dir.user_name(a)),
        created_at: e.created_at,
    }
}

pub fn demand(d: &DemandRecord) -> t::Demand {
    t::Demand {
        id: d.id.0,
        contact_id: d.contact_id.0,
        broker_id: d.broker_id.0,
        office_id: d.office_id.0,
        kind: d.kind.map(|k| k.as_str().to_owned()),
        min_price: d.min_price,
        max_price: d.max_price,
        min_rooms: d.min_rooms,
        area: d.area.clone(),
        note: d.note.clone(),
        active: d.active,
        created_at: d.created_at,
    }
}

pub fn property(p: &PropertyRecord) -> t::Property {
    let d = &p.data;
    t::Property {
        id: p.id.0,
        reference: d.reference.clone(),
        title: p.title(),
        kind: d.kind.as_str().to_owned(),
        status: d.status.as_str().to_owned(),
        street: d.street.clone(),
        city: d.city.clone(),
        postal_code: d.postal_code.clone(),
        country: d.country.code(),
        lat: d.lat,
        lon: d.lon,
        price: d.price,
        currency: p.currency.clone(),
        living_area: d.living_area,
        rooms: d.rooms,
        bedrooms: d.bedrooms,
        parking_spaces: d.parking_spaces,
        neighbourhood: d.neighbourhood.clone(),
        condominium: d.condominium.clone(),
        advertised: d.advertised,
        broker_id: p.broker_id.0,
        office_id: p.office_id.0,
        contract_date: d.contract_date.map(|x| x.to_string()),
        access_date: d.access_date.map(|x| x.to_string()),
        parties: p
            .parties
            .iter()
            .map(|(c, role)| t::Party {
                contact_id: c.id.0,
                display_name: c.data.display_name(),
                role: role.as_str().to_owned(),
            })
            .collect(),
        created_at: p.created_at,
    }
}

/// The URL of the request with `cursor` set to `next`, the other parameters kept.
fn next_url(req: &actix_web::HttpRequest, next: &str) -> String {
    let mut pairs: Vec<String> = req
        .query_string()
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("cursor=") && !kv.starts_with("offset="))
        .map(str::to_owned)
        .collect();
    pairs.push(format!("cursor={next}"));
    format!("{}?{}", req.path(), pairs.join("&"))
}

/// A page with its total and the cursor and URL of the next page.
pub fn page<T>(
    items: Vec<T>,
    total: u64,
    total_exact: bool,
    limit: u64,
    next_cursor: Option<String>,
    req: &actix_web::HttpRequest,
) -> t::Page<T> {
    t::Page {
        items,
        total,
        total_exact,
        limit,
        next: next_cursor.as_deref().map(|c| next_url(req, c)),
        next_cursor,
    }
}

/// A page without a total.
pub fn slice<T>(items: Vec<T>, limit: u64, next_cursor: Option<String>, req: &actix_web::HttpRequest) -> t::Slice<T> {
    t::Slice {
        items,
        limit,
        next: next_cursor.as_deref().map(|c| next_url(req, c)),
        next_cursor,
    }
}

pub fn viewing(v: &crm_store::calendar::ViewingRecord) -> t::Viewing {
    t::Viewing {
        id: v.id.0,
        property_id: v.property_id.0,
        property_title: v.property_title.clone(),
        broker_id: v.broker_id.0,
        starts_at: v.starts_at,
        ends_at: v.ends_at,
        note: v.note.clone(),
        cancelled_at: v.cancelled_at,
        participants: v
            .participants
            .iter()
            .map(|p| t::ViewingParticipant {
                contact_id: p.contact_id.0,
                display_name: p.name.clone(),
                status: p.status.as_str().to_owned(),
            })
            .collect(),
        created_at: v.created_at,
    }
}

pub fn bid(b: &crm_store::calendar::BidRecord) -> t::Bid {
    t::Bid {
        id: b.id.0,
        property_id: b.property_id.0,
        property_title: b.property_title.clone(),
        contact_id: b.contact_id.0,
        display_name: b.contact_name.clone(),
        amount: b.amount,
        currency: b.currency.clone(),
        placed_at: b.placed_at,
        status: b.status.as_str().to_owned(),
        note: b.note.clone(),
        created_at: b.created_at,
    }
}

pub fn meeting(m: &crm_store::calendar::MeetingRecord) -> t::Meeting {
    t::Meeting {
        id: m.id.0,
        contact_id: m.contact_id.0,
        display_name: m.contact_name.clone(),
        user_id: m.user_id.0,
        property_id: m.property_id.0,
        property_title: m.property_title.clone(),
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        place: m.place.clone(),
        note: m.note.clone(),
        confirmation: m.confirmation.as_str().to_owned(),
        status: m.status.as_str().to_owned(),
        outcome: m.outcome.map(|o| o.as_str().to_owned()),
        cancelled_by: m.cancelled_by.map(|c| c.as_str().to_owned()),
        cancel_reason: m.cancel_reason.clone(),
        created_by: m.created_by.0,
        created_at: m.created_at,
    }
}

pub fn calendar_entry(e: crm_store::calendar::CalendarEntry) -> t::CalendarEntry {
    t::CalendarEntry {
        kind: e.kind.as_str().to_owned(),
        id: e.id,
        user_id: e.user_id.0,
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        title: e.title,
        place: e.place,
        contact_id: e.contact_id.map(|c| c.0),
        property_id: e.property_id.map(|p| p.0),
        status: e.status.to_owned(),
    }
}

pub fn task(t: crm_store::tasks::TaskRecord) -> t::Task {
    t::Task {
        id: t.id.0,
        kind: t.kind,
        title: t.title,
        body: t.body,
        contact_id: t.contact_id.map(|c| c.0),
        property_id: t.property_id.map(|p| p.0),
        assignee_id: t.assignee_id.map(|u| u.0),
        tank_office_id: t.tank_office_id.map(|o| o.0),
        timed: t.timed,
        inbox_item: t.inbox_item,
        due_at: t.due_at,
        done_at: t.done_at,
        created_at: t.created_at,
    }
}
