//! How the domain's answers become wire types (server side): the pages' data is assembled here
//! from what `domain` decided, so the browser's types never reach into the domain.

use domain::invites::InviteProblem as DomainInviteProblem;
use domain::journeys::{Answer, InviteOpened, Sent};
use domain::links::{LinkProblem as DomainLinkProblem, Opened};
use domain::state::AppState;
use domain::store::{SqlOperator, StoreError};

use crate::types::{
    AppError, Branding, InvitePage, InviteProblem, InviteView, LinkProblem, SentPage,
    SubmitOutcome, SupportContact, Texts, WalletPage, WalletView,
};

use domain::i18n::{self, Args};

/// The words of the message groups `groups` (id prefixes) in `lang`, formatted with `args`, and
/// the languages the switch offers (the operator's enabled ones; every one we have without an
/// operator).
pub fn texts(
    lang: &str,
    operator: Option<&SqlOperator>,
    groups: &[&str],
    args: &Args<'_>,
) -> Texts {
    let words = i18n::ids(i18n::SOURCE)
        .into_iter()
        .filter(|id| groups.iter().any(|g| id.starts_with(g)))
        .map(|id| {
            let text = i18n::t(lang, &id, args);
            (id, text)
        })
        .collect();
    let enabled = match operator {
        Some(op) => i18n::enabled(&op.languages),
        None => i18n::available(),
    };
    Texts {
        countries: Vec::new(),
        lang: lang.to_owned(),
        words,
        languages: enabled
            .into_iter()
            .map(|tag| (tag.to_owned(), i18n::t(tag, "language-name", &[])))
            .collect(),
    }
}

/// The phone form's countries named in `lang`, in that language's alphabetical order (accents
/// folded, so Österreich sorts with the O's), each labelled with its calling code.
fn countries(lang: &str) -> Vec<(String, String)> {
    let mut named: Vec<(String, String, String)> = crate::types::REGIONS
        .iter()
        .map(|r| {
            let id = format!("country-{}", r.code.to_ascii_lowercase());
            let name = i18n::t(lang, &id, &[]);
            let name = if name == id { r.name.to_owned() } else { name };
            (
                fold(&name),
                r.code.to_owned(),
                format!("{name} (+{})", r.dial),
            )
        })
        .collect();
    named.sort();
    named
        .into_iter()
        .map(|(_, code, label)| (code, label))
        .collect()
}

fn fold(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'Á' | 'À' | 'Ä' | 'Â' | 'á' | 'à' | 'ä' | 'â' => 'a',
            'É' | 'È' | 'Ê' | 'Ë' | 'é' | 'è' | 'ê' | 'ë' => 'e',
            'Í' | 'Ì' | 'Î' | 'Ï' | 'í' | 'ì' | 'î' | 'ï' => 'i',
            'Ó' | 'Ò' | 'Ö' | 'Ô' | 'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'Ú' | 'Ù' | 'Ü' | 'Û' | 'ú' | 'ù' | 'ü' | 'û' => 'u',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The groups every member page has.
const COMMON: [&str; 3] = ["page-", "language-", "error-"];

fn groups<'a>(more: &[&'a str]) -> Vec<&'a str> {
    COMMON.iter().copied().chain(more.iter().copied()).collect()
}

/// The language of a page about no operator (an unknown invite or link): the browser's, else
/// English.
pub fn lang_without_operator(accept_language: Option<&str>) -> &'static str {
    accept_language
        .and_then(|h| i18n::from_accept_language(h, &i18n::available()))
        .unwrap_or(i18n::SOURCE)
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "store error");
        AppError::Unavailable
    }
}

impl From<&SqlOperator> for Branding {
    fn from(op: &SqlOperator) -> Self {
        Branding {
            name: op.name.clone(),
            brand_color: op.brand_color.clone(),
            accent_color: op.accent_color.clone(),
            support: SupportContact {
                email: op.support_email.clone(),
                phone: op.support_phone.clone(),
                url: op.support_url.clone(),
            },
        }
    }
}

impl From<domain::dashboard::passwords::ResetState> for crate::types::admin::ResetState {
    fn from(r: domain::dashboard::passwords::ResetState) -> Self {
        use domain::dashboard::passwords::ResetState as R;
        match r {
            R::Ready { email } => Self::Ready { email },
            R::Used => Self::Used,
            R::Expired => Self::Expired,
            R::Invalid => Self::Invalid,
        }
    }
}

impl From<DomainInviteProblem> for InviteProblem {
    fn from(p: DomainInviteProblem) -> Self {
        match p {
            DomainInviteProblem::Unknown => InviteProblem::Unknown,
            DomainInviteProblem::Expired => InviteProblem::Expired,
        }
    }
}

impl From<DomainLinkProblem> for LinkProblem {
    fn from(p: DomainLinkProblem) -> Self {
        match p {
            DomainLinkProblem::Unknown => LinkProblem::Unknown,
            DomainLinkProblem::Expired => LinkProblem::Expired,
            DomainLinkProblem::Replaced => LinkProblem::Replaced,
            DomainLinkProblem::Used => LinkProblem::Used,
            DomainLinkProblem::NotEligible => LinkProblem::NotEligible,
        }
    }
}

impl From<Answer> for SubmitOutcome {
    fn from(a: Answer) -> Self {
        match a {
            Answer::Matched { next } => SubmitOutcome::Matched { next },
            Answer::Invalid {
                message,
                number,
                region,
            } => SubmitOutcome::Invalid {
                message,
                number,
                region,
            },
            Answer::NotFound { number, region } => SubmitOutcome::NotFound { number, region },
            Answer::InviteGone { problem } => SubmitOutcome::InviteGone {
                problem: problem.into(),
            },
            Answer::RateLimited {
                message,
                number,
                region,
            } => SubmitOutcome::RateLimited {
                message,
                number,
                region,
            },
        }
    }
}

/// The phone page's data.
pub fn invite_page(
    opened: Result<InviteOpened, DomainInviteProblem>,
    accept_language: Option<&str>,
) -> InvitePage {
    match opened {
        Ok(o) => InvitePage::Ready(Box::new(InviteView {
            texts: Texts {
                countries: countries(o.lang),
                ..texts(
                    o.lang,
                    Some(&o.invite.operator),
                    &groups(&["fine-print", "phone-", "hint-", "notfound-", "support-"]),
                    &[("operator", i18n::text(&o.invite.operator.name))],
                )
            },
            branding: (&o.invite.operator).into(),
            default_region: o.invite.operator.default_region.clone(),
            site_name: o.invite.site.map(|s| s.name),
            token: o.invite.token,
            journey: o.journey,
            previous: o.previous.map(Into::into),
        })),
        Err(problem) => InvitePage::Problem(
            problem.into(),
            texts(
                lang_without_operator(accept_language),
                None,
                &groups(&["invite-"]),
                &[],
            ),
        ),
    }
}

/// The "check your messages" page's data; `notice` is the code a form post came back with.
pub fn sent_page(
    sent: Result<Sent, DomainInviteProblem>,
    notice: Option<&str>,
    switch: Option<&str>,
    accept_language: Option<&str>,
) -> SentPage {
    match sent {
        Ok(s) => {
            let op = &s.invite.operator;
            let lang = i18n::choose(
                i18n::Asked {
                    switch,
                    journey: s.journey.language.as_deref(),
                    member: None,
                    accept_language,
                },
                &op.languages,
                &op.default_language,
            );
            SentPage::Ready {
                texts: texts(
                    lang,
                    Some(op),
                    &groups(&["sent-"]),
                    &[
                        ("operator", i18n::text(&op.name)),
                        ("number", i18n::text(&s.masked_number)),
                        ("minutes", i18n::number(s.link_minutes as i64)),
                    ],
                ),
                branding: op.into(),
                masked_number: s.masked_number,
                invite_url: format!("/i/{}", s.invite.token),
                strict: op.strict_enumeration,
                token: s.invite.token,
                journey: s.journey.public_id,
                notice: notice.and_then(|code| notice_text(lang, code)),
                link_minutes: s.link_minutes,
            }
        }
        Err(problem) => SentPage::Problem(
            problem.into(),
            texts(
                lang_without_operator(accept_language),
                None,
                &groups(&["invite-", "link-"]),
                &[],
            ),
        ),
    }
}

/// What a notice code in the "check your messages" URL says, in `lang`.
fn notice_text(lang: &str, code: &str) -> Option<String> {
    let number = |prefix: &str| {
        code.strip_prefix(prefix)
            .and_then(|s| s.parse::<i64>().ok())
    };
    let id = match code {
        "resent" => "notice-resent",
        "unavailable" => "notice-unavailable",
        "code-locked" => "notice-code-locked",
        "code-unavailable" => "notice-code-unavailable",
        _ => {
            if let Some(left) = number("code-wrong-") {
                return Some(i18n::t(
                    lang,
                    "notice-code-wrong",
                    &[("left", i18n::number(left))],
                ));
            }
            if let Some(secs) = number("wait-") {
                return Some(i18n::t(
                    lang,
                    "notice-wait",
                    &[("seconds", i18n::number(secs))],
                ));
            }
            return None;
        }
    };
    Some(i18n::t(lang, id, &[]))
}

/// The wallet page's data.
pub fn wallet_page(
    state: &AppState,
    token: &str,
    opened: Opened,
    user_agent: &str,
    switch: Option<&str>,
    accept_language: Option<&str>,
) -> WalletPage {
    const WALLET: [&str; 3] = ["wallet-", "restart-", "link-"];
    match opened {
        Opened::Ready(r) => WalletPage::Ready(Box::new(WalletView {
            texts: {
                let op = &r.found.operator;
                let lang = i18n::choose(
                    i18n::Asked {
                        switch,
                        journey: r.found.journey.language.as_deref(),
                        member: r.found.member.language.as_deref(),
                        accept_language,
                    },
                    &op.languages,
                    &op.default_language,
                );
                texts(
                    lang,
                    Some(op),
                    &groups(&WALLET),
                    &[("name", i18n::text(&r.found.member.first_name))],
                )
            },
            token: token.to_owned(),
            branding: (&r.found.operator).into(),
            first_name: r.found.member.first_name.clone(),
            site_name: r.site_name,
            credential: r.credential,
            apple_first: r.apple_first,
            ios_chrome: domain::links::is_apple_device(user_agent) && user_agent.contains("CriOS"),
            other_phone: r.other_phone,
            apple_badge: badge(state, "add-to-apple-wallet"),
            google_badge: badge(state, "add-to-google-wallet"),
        })),
        Opened::Problem {
            problem,
            can_restart,
            operator,
        } => WalletPage::Problem {
            texts: {
                let lang = match operator.as_deref() {
                    Some(op) => i18n::choose(
                        i18n::Asked {
                            switch,
                            accept_language,
                            ..Default::default()
                        },
                        &op.languages,
                        &op.default_language,
                    ),
                    None => lang_without_operator(accept_language),
                };
                Box::new(texts(
                    lang,
                    operator.as_deref(),
                    &groups(&WALLET),
                    &[("name", i18n::text(""))],
                ))
            },
            problem: problem.into(),
            can_restart,
            branding: operator.as_deref().map(Into::into),
        },
    }
}

/// `/badges/{name}.svg` (or `.png`) when that file is in the site root.
fn badge(state: &AppState, name: &str) -> Option<String> {
    ["svg", "png"].iter().find_map(|ext| {
        let rel = format!("badges/{name}.{ext}");
        state
            .config
            .http
            .site_root
            .join(&rel)
            .is_file()
            .then(|| format!("/{rel}"))
    })
}
