//! Email through lettre: SMTP when `ELUMO_SMTP_URL` is set, else each message is written as an
//! `.eml` file to the local outbox folder (the embedded default for development and tests).

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailConfig;

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{0:?} is not an email address we can send to")]
    Address(String),
    #[error("the mail could not be sent: {0}")]
    Send(String),
    #[error("the mail settings are not valid: {0}")]
    Config(String),
}

/// One message: plain text, to one person.
pub struct Mail<'a> {
    pub to_name: &'a str,
    pub to_email: &'a str,
    pub subject: &'a str,
    pub body: String,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Mailer, MailError> {
        match &config.smtp_url {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                .map(|b| Mailer::Smtp(b.build()))
                .map_err(|e| MailError::Config(format!("ELUMO_SMTP_URL: {e}"))),
            None => {
                std::fs::create_dir_all(&config.outbox_dir).map_err(|e| {
                    MailError::Config(format!(
                        "could not create the mail outbox {}: {e}",
                        config.outbox_dir.display()
                    ))
                })?;
                Ok(Mailer::Outbox(AsyncFileTransport::new(&config.outbox_dir)))
            }
        }
    }

    pub async fn send(&self, from: &str, mail: &Mail<'_>) -> Result<(), MailError> {
        let to: lettre::Address = mail
            .to_email
            .trim()
            .parse()
            .map_err(|_| MailError::Address(mail.to_email.to_owned()))?;
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailError::Config(format!("ELUMO_MAIL_FROM {from:?}")))?;
        let message = Message::builder()
            .from(from)
            .to(Mailbox::new(Some(mail.to_name.to_owned()), to))
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| MailError::Send(e.to_string()))?;
        match self {
            Mailer::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Send(e.to_string())),
            Mailer::Outbox(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Send(e.to_string())),
        }
    }
}
