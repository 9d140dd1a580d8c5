# elumo pass: was Mitglieder lesen, auf Deutsch. Eine Datei pro Sprache (ihr Name ist das
# Sprachkürzel); jede Datei enthält jede Nachricht. Übersetzer: { $variablen } bleiben, wie sie
# sind; eine Nachricht, die mit "sms-" beginnt, geht als SMS hinaus und sollte kurz bleiben (die
# Einstellungen im Dashboard zeigen, wie viele SMS-Segmente der Text jeder Sprache braucht).

language-name = Deutsch

## Jede Seite

page-suffix = elumo pass
fine-print = Wir nutzen Ihre Nummer nur, um Ihnen diesen Link zu senden.
language-switch = Sprache

## Nummer eingeben

phone-title = Pass anfordern
phone-heading = Ihr digitaler Pass
phone-lead = Geben Sie die Handynummer aus Ihrem Profil bei { $operator } ein. Wir senden Ihnen per SMS einen sicheren Link, mit dem Sie Ihren Pass zu Apple Wallet oder Google Wallet hinzufügen.
phone-country = Land
phone-number = Handynummer
phone-number-help = Die Handynummer in Ihrem Mitgliedsprofil.
phone-submit = Link per SMS senden
phone-checking = Wird geprüft…

## Länder im Telefonformular

country-au = Australien
country-at = Österreich
country-be = Belgien
country-ca = Kanada
country-dk = Dänemark
country-fi = Finnland
country-fr = Frankreich
country-de = Deutschland
country-hk = Hongkong
country-in = Indien
country-ie = Irland
country-it = Italien
country-jp = Japan
country-lu = Luxemburg
country-nl = Niederlande
country-nz = Neuseeland
country-no = Norwegen
country-pl = Polen
country-pt = Portugal
country-sg = Singapur
country-za = Südafrika
country-es = Spanien
country-se = Schweden
country-ch = Schweiz
country-ae = Vereinigte Arabische Emirate
country-gb = Vereinigtes Königreich
country-us = Vereinigte Staaten

## Im Browser geprüft, bevor etwas gesendet wird

hint-empty = Geben Sie Ihre Handynummer ein.
hint-letters = Eine Telefonnummer hat nur Ziffern. Entfernen Sie alle Buchstaben.
hint-too-short = Diese Nummer ist zu kurz. Geben Sie Ihre ganze Handynummer ein.
hint-too-long = Diese Nummer ist zu lang. Prüfen Sie die Ziffern.
hint-misplaced-plus = Ein + darf nur ganz am Anfang der Nummer stehen.

## Vom Server geprüft

number-empty = Geben Sie Ihre Handynummer ein.
number-unparseable = Das sieht nicht nach einer Telefonnummer aus. Prüfen Sie die Ziffern und versuchen Sie es erneut.
number-invalid = Diese Nummer ist für das gewählte Land nicht gültig. Prüfen Sie das Land und die Ziffern.
number-not-mobile = Das sieht nach einer Festnetznummer aus. Geben Sie eine Handynummer ein, die SMS empfangen kann.
number-country-not-allowed = { $operator } kann SMS nur an Handynummern aus { $countries } senden.
limit-seconds = Zu viele Versuche. Versuchen Sie es in { $seconds ->
    [one] 1 Sekunde
   *[other] { $seconds } Sekunden
} erneut.
limit-minutes = Zu viele Versuche. Versuchen Sie es in { $minutes ->
    [one] 1 Minute
   *[other] { $minutes } Minuten
} erneut.
limit-later = Zu viele Versuche. Versuchen Sie es später erneut.
limit-no-texts = Wir können gerade keine SMS senden. Versuchen Sie es in { $minutes ->
    [one] 1 Minute
   *[other] { $minutes } Minuten
} erneut.

## Nicht gefunden

notfound-heading = Wir haben diese Nummer nicht gefunden
notfound-body = Die eingegebene Nummer ist bei { $operator } nicht für einen digitalen Pass registriert. Prüfen Sie sie und versuchen Sie es erneut
notfound-support = , oder wenden Sie sich an den Support:
notfound-front-desk = , oder wenden Sie sich an den Empfang Ihres Gebäudes.
notfound-tip-label = Tipp:
notfound-tip = Achten Sie darauf, dass in Ihrem Profil bei { $operator } Ihre aktuelle Handynummer steht.
support-contact = Support kontaktieren

## Nachrichten prüfen

sent-title = Prüfen Sie Ihre SMS
sent-heading = Prüfen Sie Ihre SMS
sent-strict = Wenn { $number } bei { $operator } registriert ist, erhalten Sie in Kürze eine SMS. Öffnen Sie den Link darin auf diesem Handy, um Ihren Pass hinzuzufügen.
sent-lead = Wir haben einen sicheren Link per SMS an { $number } gesendet. Öffnen Sie ihn auf diesem Handy, um Ihren Pass hinzuzufügen. Der Link gilt { $minutes ->
    [one] 1 Minute
   *[other] { $minutes } Minuten
}.
sent-code-label = Oder geben Sie den 6-stelligen Code aus der SMS ein
sent-continue = Weiter
sent-resend-help = Nach einer Minute keine SMS? Sie können eine Minute nach der letzten eine neue anfordern.
sent-resend = SMS erneut senden
sent-start-again = Nicht Ihre Nummer? Neu beginnen
notice-resent = Wir haben Ihnen einen neuen Link gesendet. Frühere Links funktionieren nicht mehr.
notice-unavailable = Für diese Anfrage können wir keine weitere SMS senden. Beginnen Sie neu mit dem QR-Code.
notice-code-locked = Zu viele falsche Codes. Öffnen Sie den Link in der SMS oder fordern Sie eine neue SMS an.
notice-code-unavailable = Dieser Code funktioniert nicht mehr. Fordern Sie eine neue SMS an.
notice-code-wrong = Dieser Code ist nicht richtig. Sie haben noch { $left ->
    [one] 1 Versuch
   *[other] { $left } Versuche
}.
notice-wait = Bitte warten Sie { $seconds ->
    [one] 1 Sekunde
   *[other] { $seconds } Sekunden
}, bevor Sie eine weitere SMS anfordern.

## Die Wallet-Seite

wallet-title = Pass hinzufügen
wallet-heading = Ihr Pass ist bereit, { $name }
wallet-lead = Fügen Sie ihn zur Wallet Ihres Handys hinzu und halten Sie dann das Handy an das Lesegerät an der Tür.
wallet-card = Karte
wallet-add-to = Hinzufügen zu
wallet-apple = Apple Wallet
wallet-google = Google Wallet
wallet-add-apple = Zu Apple Wallet hinzufügen
wallet-add-google = Zu Google Wallet hinzufügen
wallet-other-phone = Sie haben diesen Pass bereits auf einem anderen Handy. Sobald Sie ihn hier hinzufügen, funktioniert der Pass auf dem anderen Handy nicht mehr.
wallet-ios-chrome = Chrome auf dem iPhone kann keine Pässe zu Apple Wallet hinzufügen. Öffnen Sie diesen Link in Safari, um den Pass hinzuzufügen.
wallet-help = Dieser Link funktioniert nur auf diesem Handy und nur wenige Minuten.
restart-usable = Dieser Link funktioniert noch: Fügen Sie Ihren Pass mit den Schaltflächen unten hinzu.
restart-invite-gone = Die Einladung, von der dieser Link stammt, gilt nicht mehr. Bitten Sie Ihr Gebäude oder Ihr Büro um einen neuen QR-Code.
restart-not-eligible = Mit diesem Link können wir nicht neu beginnen. Wenden Sie sich an den Empfang Ihres Gebäudes.
restart-too-often = Sie haben heute zu oft neu begonnen. Versuchen Sie es morgen erneut oder wenden Sie sich an den Empfang Ihres Gebäudes.
restart-button = Neu beginnen
restart-scan-again = Scannen Sie den QR-Code Ihres Gebäudes oder Büros erneut, um neu zu beginnen.

## Probleme

link-unknown-title = Dieser Link ist ungültig
link-unknown-body = Wir haben diesen Link nicht gefunden. Prüfen Sie, ob Sie den ganzen Link aus der SMS geöffnet haben.
link-expired-title = Dieser Link ist abgelaufen
link-expired-body = Zu Ihrer Sicherheit funktionieren Pass-Links nur wenige Minuten.
link-replaced-title = Dieser Link wurde ersetzt
link-replaced-body = Wir haben Ihnen einen neueren Link gesendet; nur der neueste funktioniert. Öffnen Sie unsere letzte SMS oder beginnen Sie neu.
link-used-title = Dieser Link wurde schon verwendet
link-used-body = Dieser Link wurde auf einem anderen Gerät oder in einem anderen Browser geöffnet, um einen Pass hinzuzufügen. Zu Ihrer Sicherheit funktioniert er nur dort.
link-not-eligible-title = Ihr Pass ist nicht verfügbar
link-not-eligible-body = Ihre Mitgliedschaft erlaubt derzeit keinen digitalen Pass. Wenden Sie sich an den Empfang Ihres Gebäudes.
link-unavailable-title = Link nicht verfügbar
invite-unknown-title = Dieser Link ist ungültig
invite-unknown-body = Wir haben diese Einladung nicht gefunden. Prüfen Sie, ob Sie den ganzen QR-Code gescannt haben, oder bitten Sie den Empfang Ihres Gebäudes um einen neuen.
invite-expired-title = Diese Einladung ist abgelaufen
invite-expired-body = Einladungen gelten nur für begrenzte Zeit. Bitten Sie den Empfang Ihres Gebäudes oder Ihren Betreiber um einen neuen QR-Code.
invite-unavailable-title = Einladung nicht verfügbar
unavailable-title = Vorübergehend nicht verfügbar
error-unavailable = Bei uns ist etwas schiefgelaufen. Bitte versuchen Sie es gleich noch einmal.
error-bad-request = Wir konnten diese Anfrage nicht lesen. Laden Sie die Seite neu und versuchen Sie es erneut.
error-not-found = Das haben wir nicht gefunden. Vielleicht wurde es entfernt, oder der Link ist unvollständig.

## Die SMS (Link und Codezeile fügt der Server hinzu)

sms-link = { $operator }: Ihr sicherer Link, um Ihren Pass zu Apple Wallet oder Google Wallet hinzuzufügen:
    { $url }
    Gilt { $minutes } Min. Nicht angefordert? Ignorieren Sie diese SMS.

## Die Einladungs-E-Mail

mail-subject = Ihr Zugangspass für { $operator }
mail-body =
    Hallo { $name },

    { $operator } lädt Sie ein, Ihren Zugangspass zu Apple Wallet oder Google Wallet hinzuzufügen.

    Öffnen Sie diesen Link auf Ihrem Handy:
    { $url }

    Dort geben Sie die Handynummer aus Ihrem Profil bei { $operator } ein, und wir senden Ihnen per SMS einen sicheren Link zu Ihrem Pass.
    Die Einladung gilt { $days ->
        [one] 1 Tag
       *[other] { $days } Tage
    }.
mail-support-email = Fragen? Schreiben Sie an { $email }.
mail-support-phone = Fragen? Rufen Sie { $phone } an.

## Der Pass (Beschriftungen in Apple Wallet und Google Wallet)

pass-member = MITGLIED
pass-member-google = Mitglied
pass-site = STANDORT
pass-site-google = Standort
pass-card = KARTE
pass-card-google = Karte
pass-credential = Zugangsberechtigung
pass-support = Hilfe
pass-message = Nachricht
