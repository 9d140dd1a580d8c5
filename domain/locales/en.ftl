# elumo pass: what members read, in English. One file per language (its name is the language
# tag); every file has every message. Translators: keep { $variables } as they are; a message
# starting with "sms-" goes out as a text message and should stay short (the dashboard's
# settings show how many SMS segments each language's text takes).

language-name = English

## Every page

page-suffix = elumo pass
fine-print = We only use your number to send you this link.
language-switch = Language

## Phone entry

phone-title = Get your pass
phone-heading = Get your digital pass
phone-lead = Enter the mobile number on your { $operator } profile. We'll text you a secure link to add your pass to Apple Wallet or Google Wallet.
phone-country = Country
phone-number = Mobile number
phone-number-help = The mobile number on your membership profile.
phone-submit = Text me my pass link
phone-checking = Checking…

## Countries the phone form offers

country-au = Australia
country-at = Austria
country-be = Belgium
country-ca = Canada
country-dk = Denmark
country-fi = Finland
country-fr = France
country-de = Germany
country-hk = Hong Kong
country-in = India
country-ie = Ireland
country-it = Italy
country-jp = Japan
country-lu = Luxembourg
country-nl = Netherlands
country-nz = New Zealand
country-no = Norway
country-pl = Poland
country-pt = Portugal
country-sg = Singapore
country-za = South Africa
country-es = Spain
country-se = Sweden
country-ch = Switzerland
country-ae = United Arab Emirates
country-gb = United Kingdom
country-us = United States

## Checked in the browser, before anything is sent

hint-empty = Enter your mobile number.
hint-letters = A phone number has digits only. Remove any letters.
hint-too-short = That number is too short. Enter your whole mobile number.
hint-too-long = That number is too long. Check the digits.
hint-misplaced-plus = A + can only come at the very start of the number.

## Checked by the server

number-empty = Enter your mobile number.
number-unparseable = That doesn't look like a phone number. Check the digits and try again.
number-invalid = That number isn't valid for the country you chose. Check the country and the digits.
number-not-mobile = That looks like a landline. Enter a mobile number that can receive text messages.
number-country-not-allowed = { $operator } can only send texts to mobile numbers from { $countries }.
limit-seconds = Too many attempts. Try again in { $seconds ->
    [one] 1 second
   *[other] { $seconds } seconds
}.
limit-minutes = Too many attempts. Try again in { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}.
limit-later = Too many attempts. Try again later.
limit-no-texts = We can't send texts right now. Try again in { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}.

## Not found

notfound-heading = We couldn't find that number
notfound-body = The number you entered isn't registered for a digital pass with { $operator }. Check it and try again
notfound-support = , or contact support:
notfound-front-desk = , or contact your building's front desk.
notfound-tip-label = Tip:
notfound-tip = make sure your profile with { $operator } holds your current mobile number.
support-contact = contact support

## Check your messages

sent-title = Check your messages
sent-heading = Check your messages
sent-strict = If { $number } is registered with { $operator }, you will receive a text message shortly. Open its link on this phone to add your pass.
sent-lead = We've texted a secure link to { $number }. Open it on this phone to add your pass. The link works for { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}.
sent-code-label = Or enter the 6-digit code from the text
sent-continue = Continue
sent-resend-help = No text after a minute? You can ask for another one a minute after the last.
sent-resend = Send the text again
sent-start-again = Not your number? Start again
notice-resent = We've sent you a new link. Earlier links no longer work.
notice-unavailable = We can't send another text for this request. Start again from the QR code.
notice-code-locked = Too many wrong codes. Open the link in the text, or ask for a new text.
notice-code-unavailable = That code no longer works. Ask for a new text.
notice-code-wrong = That code isn't right. You have { $left ->
    [one] 1 more try
   *[other] { $left } more tries
}.
notice-wait = Please wait { $seconds ->
    [one] 1 second
   *[other] { $seconds } seconds
} before asking for another text.

## The wallet page

wallet-title = Add your pass
wallet-heading = Your pass is ready, { $name }
wallet-lead = Add it to your phone's wallet, then hold your phone to the reader at the door.
wallet-card = Card
wallet-add-to = Add to
wallet-apple = Apple Wallet
wallet-google = Google Wallet
wallet-add-apple = Add to Apple Wallet
wallet-add-google = Add to Google Wallet
wallet-other-phone = You already have this pass on another phone. Once you add it here, the pass on the other phone stops working.
wallet-ios-chrome = Chrome on iPhone can't add passes to Apple Wallet. Open this link in Safari to add it.
wallet-help = This link works only on this phone and for a few minutes.
restart-usable = This link still works: add your pass with the buttons below.
restart-invite-gone = The invite this link came from no longer works. Ask your building or workspace for a new QR code.
restart-not-eligible = We can't start again from this link. Contact your building's front desk.
restart-too-often = You've started again too often today. Try again tomorrow, or contact your building's front desk.
restart-button = Start again
restart-scan-again = Scan the QR code from your building or workspace again to start over.

## Problems

link-unknown-title = This link isn't valid
link-unknown-body = We couldn't find this link. Check that you opened the whole link from the text message.
link-expired-title = This link has expired
link-expired-body = For your security, pass links only work for a few minutes.
link-replaced-title = This link was replaced
link-replaced-body = We sent you a newer link; only the newest one works. Open the latest text from us, or start again.
link-used-title = This link was already used
link-used-body = This link was opened to add a pass on another device or browser. For your security it only works there.
link-not-eligible-title = Your pass isn't available
link-not-eligible-body = Your membership doesn't allow a digital pass right now. Contact your building's front desk.
link-unavailable-title = Link unavailable
invite-unknown-title = This link isn't valid
invite-unknown-body = We couldn't find this invitation. Check that you scanned the whole QR code, or ask your building's front desk for a new one.
invite-expired-title = This invitation has expired
invite-expired-body = Invitations only work for a limited time. Ask your building's front desk or your operator for a new QR code.
invite-unavailable-title = Invitation unavailable
unavailable-title = Temporarily unavailable
error-unavailable = Something went wrong on our side. Please try again in a moment.
error-bad-request = We couldn't read that request. Reload the page and try again.
error-not-found = We couldn't find that. It may have been removed, or the link is incomplete.

## The text message (the link and the code line are added by the server)

sms-link = { $operator }: your secure link to add your access pass to Apple Wallet or Google Wallet:
    { $url }
    It works for { $minutes } min. Didn't ask for it? Ignore this text.

## The invite email

mail-subject = Your { $operator } access pass
mail-body =
    Hello { $name },

    { $operator } invites you to add your access pass to Apple Wallet or Google Wallet.

    Open this link on your phone:
    { $url }

    You'll enter the mobile number on your { $operator } profile, and we'll text you a secure link to your pass.
    The invite works for { $days ->
        [one] 1 day
       *[other] { $days } days
    }.
mail-support-email = Questions? Contact { $email }.
mail-support-phone = Questions? Call { $phone }.

## The pass (Apple Wallet and Google Wallet labels)

pass-member = MEMBER
pass-member-google = Member
pass-site = SITE
pass-site-google = Site
pass-card = CARD
pass-card-google = Card
pass-credential = Access credential
pass-support = Support
pass-message = Message
