# elumo pass : ce que lisent les membres, en français. Un fichier par langue (son nom est
# l'étiquette de langue) ; chaque fichier contient tous les messages. Traducteurs : gardez les
# { $variables } telles quelles ; un message qui commence par "sms-" part en SMS et doit rester
# court (les réglages du tableau de bord indiquent combien de segments SMS prend chaque langue).

language-name = Français

## Toutes les pages

page-suffix = elumo pass
fine-print = Nous utilisons votre numéro uniquement pour vous envoyer ce lien.
language-switch = Langue

## Saisie du numéro

phone-title = Obtenir votre pass
phone-heading = Obtenez votre pass numérique
phone-lead = Saisissez le numéro de mobile de votre profil { $operator }. Nous vous enverrons par SMS un lien sécurisé pour ajouter votre pass à Apple Wallet ou Google Wallet.
phone-country = Pays
phone-number = Numéro de mobile
phone-number-help = Le numéro de mobile de votre profil de membre.
phone-submit = Recevoir mon lien par SMS
phone-checking = Vérification…

## Pays proposés dans le formulaire

country-au = Australie
country-at = Autriche
country-be = Belgique
country-ca = Canada
country-dk = Danemark
country-fi = Finlande
country-fr = France
country-de = Allemagne
country-hk = Hong Kong
country-in = Inde
country-ie = Irlande
country-it = Italie
country-jp = Japon
country-lu = Luxembourg
country-nl = Pays-Bas
country-nz = Nouvelle-Zélande
country-no = Norvège
country-pl = Pologne
country-pt = Portugal
country-sg = Singapour
country-za = Afrique du Sud
country-es = Espagne
country-se = Suède
country-ch = Suisse
country-ae = Émirats arabes unis
country-gb = Royaume-Uni
country-us = États-Unis

## Vérifié dans le navigateur, avant tout envoi

hint-empty = Saisissez votre numéro de mobile.
hint-letters = Un numéro de téléphone ne contient que des chiffres. Retirez les lettres.
hint-too-short = Ce numéro est trop court. Saisissez votre numéro de mobile complet.
hint-too-long = Ce numéro est trop long. Vérifiez les chiffres.
hint-misplaced-plus = Le signe + ne peut figurer qu'au tout début du numéro.

## Vérifié par le serveur

number-empty = Saisissez votre numéro de mobile.
number-unparseable = Cela ne ressemble pas à un numéro de téléphone. Vérifiez les chiffres et réessayez.
number-invalid = Ce numéro n'est pas valide pour le pays choisi. Vérifiez le pays et les chiffres.
number-not-mobile = Cela ressemble à un numéro fixe. Saisissez un numéro de mobile qui peut recevoir des SMS.
number-country-not-allowed = { $operator } ne peut envoyer des SMS qu'aux numéros de mobile de { $countries }.
limit-seconds = Trop de tentatives. Réessayez dans { $seconds ->
    [one] { $seconds } seconde
   *[other] { $seconds } secondes
}.
limit-minutes = Trop de tentatives. Réessayez dans { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}.
limit-later = Trop de tentatives. Réessayez plus tard.
limit-no-texts = Nous ne pouvons pas envoyer de SMS pour le moment. Réessayez dans { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}.

## Numéro introuvable

notfound-heading = Nous n'avons pas trouvé ce numéro
notfound-body = Le numéro saisi n'est pas enregistré pour un pass numérique auprès de { $operator }. Vérifiez-le et réessayez
notfound-support = , ou contactez l'assistance :
notfound-front-desk = , ou adressez-vous à l'accueil de votre immeuble.
notfound-tip-label = Astuce :
notfound-tip = vérifiez que votre profil { $operator } contient votre numéro de mobile actuel.
support-contact = contacter l'assistance

## Consultez vos messages

sent-title = Consultez vos messages
sent-heading = Consultez vos messages
sent-strict = Si le numéro { $number } est enregistré auprès de { $operator }, vous allez recevoir un SMS dans un instant. Ouvrez son lien sur ce téléphone pour ajouter votre pass.
sent-lead = Nous avons envoyé un lien sécurisé par SMS au { $number }. Ouvrez-le sur ce téléphone pour ajouter votre pass. Le lien est valable { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}.
sent-code-label = Ou saisissez le code à 6 chiffres reçu par SMS
sent-continue = Continuer
sent-resend-help = Pas de SMS au bout d'une minute ? Vous pouvez en demander un autre une minute après le dernier.
sent-resend = Renvoyer le SMS
sent-start-again = Ce n'est pas votre numéro ? Recommencer
notice-resent = Nous vous avons envoyé un nouveau lien. Les liens précédents ne fonctionnent plus.
notice-unavailable = Nous ne pouvons plus envoyer de SMS pour cette demande. Recommencez à partir du QR code.
notice-code-locked = Trop de codes erronés. Ouvrez le lien reçu par SMS ou demandez un nouveau SMS.
notice-code-unavailable = Ce code ne fonctionne plus. Demandez un nouveau SMS.
notice-code-wrong = Ce code est incorrect. Il vous reste { $left ->
    [one] { $left } essai
   *[other] { $left } essais
}.
notice-wait = Veuillez patienter { $seconds ->
    [one] { $seconds } seconde
   *[other] { $seconds } secondes
} avant de demander un autre SMS.

## La page Wallet

wallet-title = Ajoutez votre pass
wallet-heading = Votre pass est prêt, { $name }
wallet-lead = Ajoutez-le au wallet de votre téléphone, puis approchez le téléphone du lecteur à la porte.
wallet-card = Carte
wallet-add-to = Ajouter à
wallet-apple = Apple Wallet
wallet-google = Google Wallet
wallet-add-apple = Ajouter à Apple Wallet
wallet-add-google = Ajouter à Google Wallet
wallet-other-phone = Vous avez déjà ce pass sur un autre téléphone. Dès que vous l'ajoutez ici, le pass de l'autre téléphone cesse de fonctionner.
wallet-ios-chrome = Chrome sur iPhone ne peut pas ajouter de pass à Apple Wallet. Ouvrez ce lien dans Safari pour l'ajouter.
wallet-help = Ce lien ne fonctionne que sur ce téléphone et pendant quelques minutes.
restart-usable = Ce lien fonctionne encore : ajoutez votre pass avec les boutons ci-dessous.
restart-invite-gone = L'invitation d'où vient ce lien n'est plus valable. Demandez un nouveau QR code à votre immeuble ou à votre espace de travail.
restart-not-eligible = Nous ne pouvons pas recommencer à partir de ce lien. Adressez-vous à l'accueil de votre immeuble.
restart-too-often = Vous avez recommencé trop souvent aujourd'hui. Réessayez demain ou adressez-vous à l'accueil de votre immeuble.
restart-button = Recommencer
restart-scan-again = Scannez de nouveau le QR code de votre immeuble ou de votre espace de travail pour recommencer.

## Problèmes

link-unknown-title = Ce lien n'est pas valide
link-unknown-body = Nous n'avons pas trouvé ce lien. Vérifiez que vous avez ouvert le lien complet du SMS.
link-expired-title = Ce lien a expiré
link-expired-body = Pour votre sécurité, les liens de pass ne fonctionnent que quelques minutes.
link-replaced-title = Ce lien a été remplacé
link-replaced-body = Nous vous avons envoyé un lien plus récent ; seul le dernier fonctionne. Ouvrez notre dernier SMS ou recommencez.
link-used-title = Ce lien a déjà été utilisé
link-used-body = Ce lien a été ouvert pour ajouter un pass sur un autre appareil ou navigateur. Pour votre sécurité, il ne fonctionne que là.
link-not-eligible-title = Votre pass n'est pas disponible
link-not-eligible-body = Votre abonnement ne donne pas droit à un pass numérique pour le moment. Adressez-vous à l'accueil de votre immeuble.
link-unavailable-title = Lien indisponible
invite-unknown-title = Ce lien n'est pas valide
invite-unknown-body = Nous n'avons pas trouvé cette invitation. Vérifiez que vous avez scanné le QR code en entier, ou demandez-en un nouveau à l'accueil de votre immeuble.
invite-expired-title = Cette invitation a expiré
invite-expired-body = Les invitations ne sont valables que pendant une durée limitée. Demandez un nouveau QR code à l'accueil de votre immeuble ou à votre gestionnaire.
invite-unavailable-title = Invitation indisponible
unavailable-title = Temporairement indisponible
error-unavailable = Un problème est survenu de notre côté. Veuillez réessayer dans un instant.
error-bad-request = Nous n'avons pas pu lire cette demande. Rechargez la page et réessayez.
error-not-found = Nous n'avons rien trouvé ici. Le contenu a peut-être été supprimé, ou le lien est incomplet.

## Le SMS (le lien et la ligne du code sont ajoutés par le serveur)

sms-link = { $operator } : votre lien sécurisé pour ajouter votre pass à Apple Wallet ou Google Wallet :
    { $url }
    Valable { $minutes } min. Vous ne l'avez pas demandé ? Ignorez ce SMS.

## L'e-mail d'invitation

mail-subject = Votre pass d'accès { $operator }
mail-body =
    Bonjour { $name },

    { $operator } vous invite à ajouter votre pass d'accès à Apple Wallet ou Google Wallet.

    Ouvrez ce lien sur votre téléphone :
    { $url }

    Vous saisirez le numéro de mobile de votre profil { $operator }, puis nous vous enverrons par SMS un lien sécurisé vers votre pass.
    L'invitation est valable { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    }.
mail-support-email = Des questions ? Écrivez à { $email }.
mail-support-phone = Des questions ? Appelez le { $phone }.

## Le pass (libellés Apple Wallet et Google Wallet)

pass-member = MEMBRE
pass-member-google = Membre
pass-site = SITE
pass-site-google = Site
pass-card = CARTE
pass-card-google = Carte
pass-credential = Identifiant d'accès
pass-support = Assistance
pass-message = Message
