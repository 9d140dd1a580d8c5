# elumo pass: wat leden lezen, in het Nederlands. Eén bestand per taal (de naam is de taalcode);
# elk bestand bevat elk bericht. Vertalers: laat { $variabelen } zoals ze zijn; een bericht dat
# met "sms-" begint, gaat als sms de deur uit en moet kort blijven (de instellingen van het
# dashboard tonen hoeveel sms-segmenten de tekst van elke taal kost).

language-name = Nederlands

## Elke pagina

page-suffix = elumo pass
fine-print = We gebruiken uw nummer alleen om u deze link te sturen.
language-switch = Taal

## Nummer invoeren

phone-title = Uw pas aanvragen
phone-heading = Vraag uw digitale pas aan
phone-lead = Vul het mobiele nummer uit uw profiel bij { $operator } in. We sturen u een sms met een veilige link om uw pas toe te voegen aan Apple Wallet of Google Wallet.
phone-country = Land
phone-number = Mobiel nummer
phone-number-help = Het mobiele nummer in uw ledenprofiel.
phone-submit = Stuur mij de link per sms
phone-checking = Controleren…

## Landen in het formulier

country-au = Australië
country-at = Oostenrijk
country-be = België
country-ca = Canada
country-dk = Denemarken
country-fi = Finland
country-fr = Frankrijk
country-de = Duitsland
country-hk = Hongkong
country-in = India
country-ie = Ierland
country-it = Italië
country-jp = Japan
country-lu = Luxemburg
country-nl = Nederland
country-nz = Nieuw-Zeeland
country-no = Noorwegen
country-pl = Polen
country-pt = Portugal
country-sg = Singapore
country-za = Zuid-Afrika
country-es = Spanje
country-se = Zweden
country-ch = Zwitserland
country-ae = Verenigde Arabische Emiraten
country-gb = Verenigd Koninkrijk
country-us = Verenigde Staten

## In de browser gecontroleerd, voordat er iets wordt verstuurd

hint-empty = Vul uw mobiele nummer in.
hint-letters = Een telefoonnummer bestaat alleen uit cijfers. Haal eventuele letters weg.
hint-too-short = Dat nummer is te kort. Vul uw volledige mobiele nummer in.
hint-too-long = Dat nummer is te lang. Controleer de cijfers.
hint-misplaced-plus = Een + mag alleen helemaal vooraan in het nummer staan.

## Door de server gecontroleerd

number-empty = Vul uw mobiele nummer in.
number-unparseable = Dat lijkt geen telefoonnummer. Controleer de cijfers en probeer het opnieuw.
number-invalid = Dat nummer is niet geldig voor het gekozen land. Controleer het land en de cijfers.
number-not-mobile = Dat lijkt een vast nummer. Vul een mobiel nummer in dat sms'jes kan ontvangen.
number-country-not-allowed = { $operator } kan alleen sms'jes sturen naar mobiele nummers uit { $countries }.
limit-seconds = Te veel pogingen. Probeer het over { $seconds ->
    [one] 1 seconde
   *[other] { $seconds } seconden
} opnieuw.
limit-minutes = Te veel pogingen. Probeer het over { $minutes ->
    [one] 1 minuut
   *[other] { $minutes } minuten
} opnieuw.
limit-later = Te veel pogingen. Probeer het later opnieuw.
limit-no-texts = We kunnen nu geen sms'jes versturen. Probeer het over { $minutes ->
    [one] 1 minuut
   *[other] { $minutes } minuten
} opnieuw.

## Niet gevonden

notfound-heading = We hebben dat nummer niet gevonden
notfound-body = Het nummer dat u invulde, is bij { $operator } niet geregistreerd voor een digitale pas. Controleer het en probeer het opnieuw
notfound-support = , of neem contact op met de helpdesk:
notfound-front-desk = , of neem contact op met de receptie van uw gebouw.
notfound-tip-label = Tip:
notfound-tip = zorg dat uw profiel bij { $operator } uw huidige mobiele nummer bevat.
support-contact = contact opnemen met support

## Bekijk uw berichten

sent-title = Bekijk uw berichten
sent-heading = Bekijk uw berichten
sent-strict = Als { $number } bij { $operator } geregistreerd is, ontvangt u zo een sms. Open de link daarin op deze telefoon om uw pas toe te voegen.
sent-lead = We hebben een veilige link per sms naar { $number } gestuurd. Open die op deze telefoon om uw pas toe te voegen. De link is { $minutes ->
    [one] 1 minuut
   *[other] { $minutes } minuten
} geldig.
sent-code-label = Of vul de 6-cijferige code uit de sms in
sent-continue = Doorgaan
sent-resend-help = Na een minuut nog geen sms? U kunt een minuut na de vorige een nieuwe aanvragen.
sent-resend = Sms opnieuw sturen
sent-start-again = Niet uw nummer? Opnieuw beginnen
notice-resent = We hebben u een nieuwe link gestuurd. Eerdere links werken niet meer.
notice-unavailable = We kunnen voor deze aanvraag geen sms meer sturen. Begin opnieuw vanaf de QR-code.
notice-code-locked = Te veel foute codes. Open de link in de sms, of vraag een nieuwe sms aan.
notice-code-unavailable = Die code werkt niet meer. Vraag een nieuwe sms aan.
notice-code-wrong = Die code klopt niet. U hebt nog { $left ->
    [one] 1 poging
   *[other] { $left } pogingen
}.
notice-wait = Wacht nog { $seconds ->
    [one] 1 seconde
   *[other] { $seconds } seconden
} voordat u een nieuwe sms aanvraagt.

## De walletpagina

wallet-title = Voeg uw pas toe
wallet-heading = Uw pas is klaar, { $name }
wallet-lead = Voeg hem toe aan de wallet op uw telefoon en houd uw telefoon daarna bij de lezer aan de deur.
wallet-card = Kaart
wallet-add-to = Toevoegen aan
wallet-apple = Apple Wallet
wallet-google = Google Wallet
wallet-add-apple = Voeg toe aan Apple Wallet
wallet-add-google = Voeg toe aan Google Wallet
wallet-other-phone = U hebt deze pas al op een andere telefoon. Zodra u hem hier toevoegt, werkt de pas op de andere telefoon niet meer.
wallet-ios-chrome = Chrome op de iPhone kan geen passen aan Apple Wallet toevoegen. Open deze link in Safari om de pas toe te voegen.
wallet-help = Deze link werkt alleen op deze telefoon en maar een paar minuten.
restart-usable = Deze link werkt nog: voeg uw pas toe met de knoppen hieronder.
restart-invite-gone = De uitnodiging waar deze link vandaan komt, werkt niet meer. Vraag uw gebouw of kantoor om een nieuwe QR-code.
restart-not-eligible = Vanaf deze link kunnen we niet opnieuw beginnen. Neem contact op met de receptie van uw gebouw.
restart-too-often = U bent vandaag te vaak opnieuw begonnen. Probeer het morgen opnieuw, of neem contact op met de receptie van uw gebouw.
restart-button = Opnieuw beginnen
restart-scan-again = Scan de QR-code van uw gebouw of kantoor nog eens om opnieuw te beginnen.

## Problemen

link-unknown-title = Deze link is niet geldig
link-unknown-body = We hebben deze link niet gevonden. Controleer of u de hele link uit de sms hebt geopend.
link-expired-title = Deze link is verlopen
link-expired-body = Voor uw veiligheid werken paslinks maar een paar minuten.
link-replaced-title = Deze link is vervangen
link-replaced-body = We hebben u een nieuwere link gestuurd; alleen de nieuwste werkt. Open onze laatste sms, of begin opnieuw.
link-used-title = Deze link is al gebruikt
link-used-body = Deze link is geopend om een pas toe te voegen op een ander apparaat of in een andere browser. Voor uw veiligheid werkt hij alleen daar.
link-not-eligible-title = Uw pas is niet beschikbaar
link-not-eligible-body = Uw lidmaatschap geeft op dit moment geen recht op een digitale pas. Neem contact op met de receptie van uw gebouw.
link-unavailable-title = Link niet beschikbaar
invite-unknown-title = Deze link is niet geldig
invite-unknown-body = We hebben deze uitnodiging niet gevonden. Controleer of u de hele QR-code hebt gescand, of vraag de receptie van uw gebouw om een nieuwe.
invite-expired-title = Deze uitnodiging is verlopen
invite-expired-body = Uitnodigingen werken maar een beperkte tijd. Vraag de receptie van uw gebouw of uw beheerder om een nieuwe QR-code.
invite-unavailable-title = Uitnodiging niet beschikbaar
unavailable-title = Tijdelijk niet beschikbaar
error-unavailable = Er ging bij ons iets mis. Probeer het zo nog eens.
error-bad-request = We konden die aanvraag niet lezen. Laad de pagina opnieuw en probeer het nog eens.
error-not-found = We konden dit niet vinden. Misschien is het verwijderd, of is de link onvolledig.

## De sms (de link en de coderegel voegt de server toe)

sms-link = { $operator }: uw veilige link om uw toegangspas toe te voegen aan Apple Wallet of Google Wallet:
    { $url }
    Geldig voor { $minutes } min. Niet aangevraagd? Negeer deze sms.

## De uitnodigingsmail

mail-subject = Uw toegangspas van { $operator }
mail-body =
    Hallo { $name },

    { $operator } nodigt u uit om uw toegangspas toe te voegen aan Apple Wallet of Google Wallet.

    Open deze link op uw telefoon:
    { $url }

    U vult het mobiele nummer uit uw profiel bij { $operator } in, en wij sturen u een sms met een veilige link naar uw pas.
    De uitnodiging is { $days ->
        [one] 1 dag
       *[other] { $days } dagen
    } geldig.
mail-support-email = Vragen? Mail naar { $email }.
mail-support-phone = Vragen? Bel { $phone }.

## De pas (labels in Apple Wallet en Google Wallet)

pass-member = LID
pass-member-google = Lid
pass-site = LOCATIE
pass-site-google = Locatie
pass-card = KAART
pass-card-google = Kaart
pass-credential = Toegangsbewijs
pass-support = Hulp
pass-message = Bericht
