# elumo pass: lo que leen los miembros, en español. Un archivo por idioma (su nombre es la
# etiqueta del idioma); cada archivo tiene todos los mensajes. Traductores: dejen las
# { $variables } tal cual; un mensaje que empieza por "sms-" se envía como SMS y debe ser corto
# (los ajustes del panel muestran cuántos segmentos SMS ocupa el texto de cada idioma).

language-name = Español

## Todas las páginas

page-suffix = elumo pass
fine-print = Solo usamos su número para enviarle este enlace.
language-switch = Idioma

## Número de móvil

phone-title = Obtener su pase
phone-heading = Consiga su pase digital
phone-lead = Escriba el número de móvil de su perfil de { $operator }. Le enviaremos por SMS un enlace seguro para añadir su pase a Apple Wallet o Google Wallet.
phone-country = País
phone-number = Número de móvil
phone-number-help = El número de móvil de su perfil de miembro.
phone-submit = Enviarme el enlace por SMS
phone-checking = Comprobando…

## Países del formulario

country-au = Australia
country-at = Austria
country-be = Bélgica
country-ca = Canadá
country-dk = Dinamarca
country-fi = Finlandia
country-fr = Francia
country-de = Alemania
country-hk = Hong Kong
country-in = India
country-ie = Irlanda
country-it = Italia
country-jp = Japón
country-lu = Luxemburgo
country-nl = Países Bajos
country-nz = Nueva Zelanda
country-no = Noruega
country-pl = Polonia
country-pt = Portugal
country-sg = Singapur
country-za = Sudáfrica
country-es = España
country-se = Suecia
country-ch = Suiza
country-ae = Emiratos Árabes Unidos
country-gb = Reino Unido
country-us = Estados Unidos

## Se comprueba en el navegador, antes de enviar nada

hint-empty = Escriba su número de móvil.
hint-letters = Un número de teléfono solo tiene cifras. Quite las letras.
hint-too-short = Ese número es demasiado corto. Escriba el número de móvil completo.
hint-too-long = Ese número es demasiado largo. Revise las cifras.
hint-misplaced-plus = El signo + solo puede ir al principio del número.

## Lo comprueba el servidor

number-empty = Escriba su número de móvil.
number-unparseable = Eso no parece un número de teléfono. Revise las cifras e inténtelo de nuevo.
number-invalid = Ese número no es válido para el país elegido. Revise el país y las cifras.
number-not-mobile = Parece un número fijo. Escriba un número de móvil que pueda recibir SMS.
number-country-not-allowed = { $operator } solo puede enviar SMS a móviles de { $countries }.
limit-seconds = Demasiados intentos. Inténtelo de nuevo en { $seconds ->
    [one] 1 segundo
   *[other] { $seconds } segundos
}.
limit-minutes = Demasiados intentos. Inténtelo de nuevo en { $minutes ->
    [one] 1 minuto
   *[other] { $minutes } minutos
}.
limit-later = Demasiados intentos. Inténtelo de nuevo más tarde.
limit-no-texts = Ahora no podemos enviar SMS. Vuelva a intentarlo en { $minutes ->
    [one] 1 minuto
   *[other] { $minutes } minutos
}.

## No encontrado

notfound-heading = No hemos encontrado ese número
notfound-body = El número que ha escrito no está registrado para un pase digital con { $operator }. Revíselo e inténtelo de nuevo
notfound-support = , o contacte con el servicio de ayuda:
notfound-front-desk = , o hable con la recepción de su edificio.
notfound-tip-label = Consejo:
notfound-tip = asegúrese de que su perfil de { $operator } tiene su número de móvil actual.
support-contact = contactar con soporte

## Revise sus mensajes

sent-title = Revise sus mensajes
sent-heading = Revise sus mensajes
sent-strict = Si el número { $number } está registrado en { $operator }, recibirá un SMS en breve. Abra el enlace en este teléfono para añadir su pase.
sent-lead = Hemos enviado un enlace seguro por SMS al { $number }. Ábralo en este teléfono para añadir su pase. El enlace funciona durante { $minutes ->
    [one] 1 minuto
   *[other] { $minutes } minutos
}.
sent-code-label = O escriba el código de 6 cifras del SMS
sent-continue = Continuar
sent-resend-help = ¿No le llega el SMS en un minuto? Puede pedir otro un minuto después del último.
sent-resend = Reenviar el SMS
sent-start-again = ¿No es su número? Empezar de nuevo
notice-resent = Le hemos enviado un enlace nuevo. Los enlaces anteriores ya no funcionan.
notice-unavailable = No podemos enviar otro SMS para esta solicitud. Empiece de nuevo desde el código QR.
notice-code-locked = Demasiados códigos incorrectos. Abra el enlace del SMS o pida un SMS nuevo.
notice-code-unavailable = Ese código ya no funciona. Pida un SMS nuevo.
notice-code-wrong = Ese código no es correcto. Le { $left ->
    [one] queda 1 intento
   *[other] quedan { $left } intentos
}.
notice-wait = Por favor, espere { $seconds ->
    [one] 1 segundo
   *[other] { $seconds } segundos
} antes de pedir otro SMS.

## La página de Wallet

wallet-title = Añada su pase
wallet-heading = Su pase está listo, { $name }
wallet-lead = Añádalo a la cartera de su teléfono y luego acerque el teléfono al lector de la puerta.
wallet-card = Tarjeta
wallet-add-to = Añadir a
wallet-apple = Apple Wallet
wallet-google = Google Wallet
wallet-add-apple = Añadir a Apple Wallet
wallet-add-google = Añadir a Google Wallet
wallet-other-phone = Ya tiene este pase en otro teléfono. En cuanto lo añada aquí, el pase del otro teléfono dejará de funcionar.
wallet-ios-chrome = Chrome en iPhone no puede añadir pases a Apple Wallet. Abra este enlace en Safari para añadirlo.
wallet-help = Este enlace solo funciona en este teléfono y durante unos minutos.
restart-usable = Este enlace aún funciona: añada su pase con los botones de abajo.
restart-invite-gone = La invitación de la que viene este enlace ya no funciona. Pida un nuevo código QR a su edificio o espacio de trabajo.
restart-not-eligible = No podemos empezar de nuevo desde este enlace. Hable con la recepción de su edificio.
restart-too-often = Hoy ha empezado de nuevo demasiadas veces. Inténtelo mañana o hable con la recepción de su edificio.
restart-button = Empezar de nuevo
restart-scan-again = Vuelva a escanear el código QR de su edificio o espacio de trabajo para empezar de nuevo.

## Problemas

link-unknown-title = Este enlace no es válido
link-unknown-body = No hemos encontrado este enlace. Compruebe que ha abierto el enlace completo del SMS.
link-expired-title = Este enlace ha caducado
link-expired-body = Por su seguridad, los enlaces de pase solo funcionan unos minutos.
link-replaced-title = Este enlace se ha sustituido
link-replaced-body = Le hemos enviado un enlace más reciente; solo funciona el último. Abra nuestro último SMS o empiece de nuevo.
link-used-title = Este enlace ya se ha usado
link-used-body = Este enlace se abrió para añadir un pase en otro dispositivo o navegador. Por su seguridad, solo funciona allí.
link-not-eligible-title = Su pase no está disponible
link-not-eligible-body = Su membresía no permite un pase digital por ahora. Hable con la recepción de su edificio.
link-unavailable-title = Enlace no disponible
invite-unknown-title = Este enlace no es válido
invite-unknown-body = No hemos encontrado esta invitación. Compruebe que ha escaneado el código QR completo o pida uno nuevo en la recepción de su edificio.
invite-expired-title = Esta invitación ha caducado
invite-expired-body = Las invitaciones solo funcionan durante un tiempo limitado. Pida un nuevo código QR en la recepción de su edificio o al gestor de su espacio.
invite-unavailable-title = Invitación no disponible
unavailable-title = No disponible por ahora
error-unavailable = Algo ha fallado por nuestra parte. Inténtelo de nuevo en un momento.
error-bad-request = No hemos podido leer esa solicitud. Recargue la página e inténtelo de nuevo.
error-not-found = No hemos encontrado lo que busca. Puede que se haya eliminado o que el enlace esté incompleto.

## El SMS (el servidor añade el enlace y la línea del código)

sms-link = { $operator }: su enlace seguro para añadir su pase de acceso a Apple Wallet o Google Wallet:
    { $url }
    Funciona durante { $minutes } min. ¿No lo ha pedido? Ignore este SMS.

## El correo de invitación

mail-subject = Su pase de acceso de { $operator }
mail-body =
    Hola, { $name }:

    { $operator } le invita a añadir su pase de acceso a Apple Wallet o Google Wallet.

    Abra este enlace en su teléfono:
    { $url }

    Escribirá el número de móvil de su perfil de { $operator } y le enviaremos por SMS un enlace seguro a su pase.
    La invitación es válida durante { $days ->
        [one] 1 día
       *[other] { $days } días
    }.
mail-support-email = ¿Preguntas? Escriba a { $email }.
mail-support-phone = ¿Preguntas? Llame al { $phone }.

## El pase (etiquetas de Apple Wallet y Google Wallet)

pass-member = MIEMBRO
pass-member-google = Miembro
pass-site = SEDE
pass-site-google = Sede
pass-card = TARJETA
pass-card-google = Tarjeta
pass-credential = Credencial de acceso
pass-support = Ayuda
pass-message = Mensaje
