"""Regenerates ``intent_train.jsonl``: templated messages in seven languages plus hand-written
ones. Deterministic (fixed seed), so the packaged file only changes when this script does.

Run: ``.venv/bin/python tools/make_intent_data.py``, then ``tools/build_intent_model.py``
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from pathlib import Path

SEED = 20240611
OUTPUT = Path(__file__).resolve().parents[1] / "src/prospecting/qualify/data/intent_train.jsonl"
TEMPLATED_PER_LANGUAGE = {"en": 36, "es": 7, "fr": 7, "de": 7, "pt": 7, "it": 7, "nl": 7}

# fmt: off
SHARED: dict[str, list[str]] = {
    "url": [
        "bit.ly/3xQz9", "www.best-offer-now.com", "http://claim-reward.xyz", "tinyurl.com/winbig",
        "secure-verify-account.net", "promo-deals.biz/free",
    ],
    "coin": [
        "Bitcoin", "ETH", "crypto", "USDT", "Solana",
    ],
    "pct": [
        "30", "50", "80", "90", "200",
    ],
    "n": [
        "20", "50", "100", "300", "1000",
    ],
    "acct": [
        "Netflix", "PayPal", "Apple ID", "Amazon", "Instagram",
    ],
    "name": [
        "Mike", "Jessica", "Tom", "Dave", "Linda", "Carlos",
    ],
}

VOCAB: dict[str, dict[str, list[str]]] = {
    "en": {
        "service": [
            "a haircut", "a trim", "a colour", "highlights", "a balayage", "a massage",
            "a hot stone massage", "a therapy session", "a counselling session",
            "a coaching session", "a coaching call", "a personal training session",
            "a tutoring session", "a maths lesson", "a piano lesson", "a physics lesson",
            "a facial", "a manicure", "a consultation", "an intro call", "a discovery call",
            "a yoga class", "a reiki session", "a lash lift", "a session", "a swedish massage",
            "couples therapy", "personal training", "a sports massage", "coaching", "tutoring",
            "hair colouring", "an initial consultation", "a 60 minute massage",
        ],
        "day": [
            "tomorrow", "today", "on Monday", "on Tuesday", "Wednesday", "on Thursday", "Friday",
            "on Saturday", "Sunday", "this weekend", "next week", "next Monday", "this Friday",
            "on the 21st", "Tuesday morning", "Thursday evening", "friday afternoon", "tmrw",
            "this week", "tonight", "next Thursday",
        ],
        "time": [
            "at 10am", "at 3pm", "around 6", "at 9:30", "after 5pm", "in the morning", "at noon",
            "at 7:15pm", "in the evening", "around lunchtime", "at 2", "before work", "after 6",
            "", "", "",
        ],
        "hi": [
            "", "", "Hi, ", "Hello, ", "Hey ", "Hi there! ", "Good morning, ", "hiya ",
            "Dear Sarah, ",
        ],
        "bye": [
            "", "", " Thanks!", " Thank you.", " Cheers", " thx", " 🙂", " Best, Tom",
            " Kind regards, Priya",
        ],
        "appt": [
            "my appointment", "my session", "our session", "my booking", "my lesson", "our call",
            "my class", "my massage", "my haircut", "the appointment", "my slot",
        ],
        "offer": [
            "balayage", "hair extensions", "bridal hair", "hot stone massage", "reflexology",
            "couples therapy", "EMDR", "online coaching", "group classes", "exam prep",
            "strength training", "nutrition coaching", "beard grooming", "perms",
            "lymphatic drainage", "gel nails",
        ],
        "topic": [
            "anxiety", "burnout", "back pain", "weight loss", "dyslexia", "grief",
            "a career change", "stress", "insomnia", "postpartum depression", "marathon training",
            "low confidence",
        ],
        "group": [
            "beginners", "seniors", "kids", "teenagers", "pregnant women", "students", "couples",
            "people with injuries", "older adults",
        ],
        "subject": [
            "chemistry", "French", "coding", "SAT maths", "biology", "essay writing",
        ],
        "mkt": [
            "lead generation service", "Facebook ads", "SEO package", "booking software",
            "AI receptionist", "social media management", "Google Ads campaign",
            "review management tool",
        ],
        "biz": [
            "salons", "therapists", "personal trainers", "coaches", "tutors", "local businesses",
            "spas",
        ],
        "prize": [
            "an iPhone 15", "a $1000 Walmart voucher", "a free cruise", "£500 cash",
            "an Amazon gift card",
        ],
        "product": [
            "Ray-Ban sunglasses", "weight loss pills", "designer watches", "CBD gummies",
            "supplements",
        ],
        "company": [
            "GrowthLabs", "RankBoost", "SalonLeads", "BizFunding", "MarketPro",
            "LocalSEO Experts",
        ],
        "item": [
            "umbrella", "earring", "water bottle", "charger", "glasses", "jacket",
        ],
        "rel": [
            "sister", "husband", "colleague", "friend", "mum",
        ],
    },
    "es": {
        "service": [
            "un corte de pelo", "un corte", "un masaje", "un masaje descontracturante",
            "una sesión de terapia", "una sesión de coaching", "una clase", "una clase de inglés",
            "una clase de matemáticas", "un entrenamiento personal", "un tinte", "unas mechas",
            "una consulta", "una limpieza facial", "una manicura", "una sesión",
        ],
        "day": [
            "mañana", "hoy", "el lunes", "el martes", "el miércoles", "el jueves", "el viernes",
            "el sábado", "el domingo", "la semana que viene", "este fin de semana",
            "la próxima semana", "el jueves por la tarde", "pasado mañana", "esta semana",
        ],
        "time": [
            "a las 10", "a las 17h", "por la mañana", "por la tarde", "a las 18:30",
            "sobre las 12", "a primera hora", "después del trabajo", "", "",
        ],
        "hi": [
            "", "", "Hola, ", "Hola! ", "Buenas, ", "Buenos días, ", "Hola buenas, ",
        ],
        "bye": [
            "", "", " Gracias!", " Muchas gracias.", " Un saludo", " gracias 🙂",
            " Saludos, Lucía",
        ],
        "appt": [
            "mi cita", "la cita", "mi sesión", "la clase", "mi reserva", "nuestra sesión",
            "mi hora",
        ],
        "offer": [
            "mechas balayage", "extensiones", "masaje con piedras calientes", "terapia de pareja",
            "coaching online", "clases en grupo", "preparación de exámenes", "depilación",
            "peinados de novia",
        ],
        "topic": [
            "ansiedad", "estrés", "dolor de espalda", "depresión", "insomnio", "perder peso",
            "duelo",
        ],
        "group": [
            "niños", "adolescentes", "principiantes", "personas mayores", "embarazadas",
            "estudiantes", "parejas",
        ],
        "mkt": [
            "publicidad en Facebook", "SEO", "un software de reservas", "marketing digital",
            "anuncios en Google",
        ],
        "biz": [
            "peluquerías", "psicólogos", "entrenadores", "academias",
        ],
        "prize": [
            "un iPhone", "un cheque de 500€", "un viaje gratis",
        ],
    },
    "fr": {
        "service": [
            "une coupe", "une coupe brushing", "un massage", "un massage aux pierres chaudes",
            "une séance de thérapie", "une séance de coaching", "un cours", "un cours de maths",
            "un cours d'anglais", "une séance de sport", "une coloration", "des mèches",
            "une consultation", "un soin du visage", "une séance",
        ],
        "day": [
            "demain", "aujourd'hui", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
            "la semaine prochaine", "ce week-end", "jeudi après-midi", "vendredi matin",
            "après-demain", "cette semaine", "lundi prochain",
        ],
        "time": [
            "à 10h", "à 14h30", "le matin", "en fin de journée", "vers midi", "à 18h",
            "en soirée", "dans l'après-midi", "", "",
        ],
        "hi": [
            "", "", "Bonjour, ", "Bonjour ! ", "Salut, ", "Bonsoir, ", "Coucou ",
        ],
        "bye": [
            "", "", " Merci !", " Merci d'avance.", " Bonne journée", " Cordialement, Claire",
            " merci 🙂",
        ],
        "appt": [
            "mon rendez-vous", "le rendez-vous", "ma séance", "le cours", "notre séance",
            "mon rdv", "ma réservation",
        ],
        "offer": [
            "des extensions", "du balayage", "des massages aux pierres chaudes",
            "de la thérapie de couple", "du coaching en ligne", "des cours collectifs",
            "de l'aide aux devoirs", "des coiffures de mariée",
        ],
        "topic": [
            "l'anxiété", "le stress", "le mal de dos", "la dépression", "l'insomnie",
            "la perte de poids", "le burn-out",
        ],
        "group": [
            "les enfants", "les ados", "les débutants", "les seniors", "les femmes enceintes",
            "les étudiants", "les couples",
        ],
        "mkt": [
            "la publicité Facebook", "le référencement", "notre logiciel de réservation",
            "le marketing digital",
        ],
        "biz": [
            "les salons de coiffure", "les thérapeutes", "les coachs", "les indépendants",
        ],
        "prize": [
            "un iPhone", "un bon d'achat de 500€", "un voyage",
        ],
    },
    "de": {
        "service": [
            "einen Haarschnitt", "einen Schnitt", "eine Massage", "eine Sportmassage",
            "eine Therapiesitzung", "ein Coaching", "eine Nachhilfestunde",
            "eine Mathe-Nachhilfe", "ein Personal Training", "eine Färbung", "Strähnchen",
            "ein Erstgespräch", "eine Gesichtsbehandlung", "eine Stunde", "eine Sitzung",
        ],
        "day": [
            "morgen", "heute", "am Montag", "am Dienstag", "am Mittwoch", "am Donnerstag",
            "am Freitag", "am Samstag", "nächste Woche", "am Wochenende", "diese Woche",
            "übermorgen", "Freitagabend", "nächsten Dienstag",
        ],
        "time": [
            "um 10 Uhr", "um 17:30", "vormittags", "nachmittags", "abends", "gegen Mittag",
            "um 18 Uhr", "nach der Arbeit", "", "",
        ],
        "hi": [
            "", "", "Hallo, ", "Hi, ", "Guten Tag, ", "Moin, ", "Hallo zusammen, ",
        ],
        "bye": [
            "", "", " Danke!", " Vielen Dank.", " Liebe Grüße", " LG Anna", " Danke 🙂",
            " Viele Grüße, Jonas",
        ],
        "appt": [
            "meinen Termin", "den Termin", "unsere Sitzung", "die Stunde", "meine Buchung",
            "das Training",
        ],
        "offer": [
            "Balayage", "Haarverlängerungen", "Hot-Stone-Massagen", "Paartherapie",
            "Online-Coaching", "Gruppenkurse", "Prüfungsvorbereitung", "Brautfrisuren",
        ],
        "topic": [
            "Angst", "Stress", "Rückenschmerzen", "Depressionen", "Schlafproblemen", "Burnout",
            "Abnehmen",
        ],
        "group": [
            "Kindern", "Jugendlichen", "Anfängern", "Senioren", "Schwangeren", "Studenten",
            "Paaren",
        ],
        "mkt": [
            "Facebook-Werbung", "SEO", "unserer Buchungssoftware", "Online-Marketing",
        ],
        "biz": [
            "Friseuren", "Therapeuten", "Trainern", "Selbstständigen",
        ],
        "prize": [
            "ein iPhone", "einen 500€-Gutschein", "eine Reise",
        ],
    },
    "pt": {
        "service": [
            "um corte", "um corte de cabelo", "uma massagem", "uma massagem relaxante",
            "uma sessão de terapia", "uma sessão de coaching", "uma aula", "uma aula de inglês",
            "uma aula de matemática", "um treino", "uma coloração", "luzes", "uma consulta",
            "uma limpeza de pele", "uma manicure", "uma sessão",
        ],
        "day": [
            "amanhã", "hoje", "segunda", "na terça", "na quarta", "quinta-feira", "na sexta",
            "no sábado", "semana que vem", "no fim de semana", "na próxima semana",
            "depois de amanhã", "essa semana", "sexta à tarde",
        ],
        "time": [
            "às 10h", "às 15h", "de manhã", "à tarde", "à noite", "por volta do meio-dia",
            "às 18:30", "depois do trabalho", "", "",
        ],
        "hi": [
            "", "", "Olá, ", "Oi, ", "Oi! ", "Bom dia, ", "Boa tarde, ",
        ],
        "bye": [
            "", "", " Obrigado!", " Obrigada.", " Abraço", " valeu", " Beijos, Ana", " obg 🙂",
        ],
        "appt": [
            "meu horário", "a consulta", "minha sessão", "a aula", "minha reserva",
            "nossa sessão", "o agendamento",
        ],
        "offer": [
            "progressiva", "mega hair", "massagem com pedras quentes", "terapia de casal",
            "coaching online", "aulas em grupo", "reforço escolar", "penteado de noiva",
        ],
        "topic": [
            "ansiedade", "estresse", "dor nas costas", "depressão", "insônia", "emagrecimento",
            "luto",
        ],
        "group": [
            "crianças", "adolescentes", "iniciantes", "idosos", "gestantes", "estudantes",
            "casais",
        ],
        "mkt": [
            "anúncios no Instagram", "SEO", "nosso sistema de agendamento", "marketing digital",
        ],
        "biz": [
            "salões", "psicólogos", "personal trainers", "professores",
        ],
        "prize": [
            "um iPhone", "um vale de R$500", "uma viagem",
        ],
    },
    "it": {
        "service": [
            "un taglio", "un taglio e piega", "un massaggio", "un massaggio decontratturante",
            "una seduta di terapia", "una sessione di coaching", "una lezione",
            "una lezione di inglese", "una lezione di matematica", "un allenamento", "un colore",
            "dei colpi di sole", "una consulenza", "una pulizia del viso", "una manicure",
            "una seduta",
        ],
        "day": [
            "domani", "oggi", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato",
            "la settimana prossima", "nel weekend", "questa settimana", "dopodomani",
            "venerdì pomeriggio", "lunedì prossimo",
        ],
        "time": [
            "alle 10", "alle 15:30", "di mattina", "nel pomeriggio", "in serata",
            "verso mezzogiorno", "alle 18", "dopo il lavoro", "", "",
        ],
        "hi": [
            "", "", "Ciao, ", "Ciao! ", "Buongiorno, ", "Salve, ", "Buonasera, ",
        ],
        "bye": [
            "", "", " Grazie!", " Grazie mille.", " Saluti", " Un saluto, Giulia", " grazie 🙂",
        ],
        "appt": [
            "l'appuntamento", "il mio appuntamento", "la seduta", "la lezione",
            "la mia prenotazione", "la sessione",
        ],
        "offer": [
            "il balayage", "le extension", "massaggi con pietre calde", "terapia di coppia",
            "coaching online", "corsi di gruppo", "ripetizioni", "acconciature da sposa",
        ],
        "topic": [
            "l'ansia", "lo stress", "il mal di schiena", "la depressione", "l'insonnia",
            "il dimagrimento", "il lutto",
        ],
        "group": [
            "bambini", "ragazzi", "principianti", "anziani", "donne in gravidanza", "studenti",
            "coppie",
        ],
        "mkt": [
            "pubblicità su Facebook", "SEO", "il nostro gestionale prenotazioni",
            "marketing digitale",
        ],
        "biz": [
            "parrucchieri", "psicologi", "personal trainer", "centri estetici",
        ],
        "prize": [
            "un iPhone", "un buono da 500€", "un viaggio",
        ],
    },
    "nl": {
        "service": [
            "een knipbeurt", "knippen", "een massage", "een sportmassage", "een therapiesessie",
            "een coachingsgesprek", "een les", "bijles wiskunde", "een Engelse les",
            "een personal training", "kleuren", "highlights", "een intake",
            "een gezichtsbehandeling", "een sessie",
        ],
        "day": [
            "morgen", "vandaag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag",
            "zaterdag", "volgende week", "in het weekend", "deze week", "overmorgen",
            "vrijdagmiddag", "volgende maandag",
        ],
        "time": [
            "om 10 uur", "om 15:30", "'s ochtends", "'s middags", "'s avonds",
            "rond het middaguur", "om 18 uur", "na het werk", "", "",
        ],
        "hi": [
            "", "", "Hoi, ", "Hallo, ", "Hey ", "Goedemorgen, ", "Beste, ",
        ],
        "bye": [
            "", "", " Bedankt!", " Alvast bedankt.", " Groetjes", " Groet, Sanne", " dank je 🙂",
        ],
        "appt": [
            "mijn afspraak", "de afspraak", "onze sessie", "de les", "mijn boeking",
            "de training",
        ],
        "offer": [
            "balayage", "extensions", "hotstone massage", "relatietherapie", "online coaching",
            "groepslessen", "examentraining", "bruidskapsels",
        ],
        "topic": [
            "angst", "stress", "rugpijn", "depressie", "slaapproblemen", "afvallen", "rouw",
        ],
        "group": [
            "kinderen", "tieners", "beginners", "ouderen", "zwangere vrouwen", "studenten",
            "stellen",
        ],
        "mkt": [
            "Facebook-advertenties", "SEO", "onze boekingssoftware", "online marketing",
        ],
        "biz": [
            "kappers", "therapeuten", "coaches", "zzp'ers",
        ],
        "prize": [
            "een iPhone", "een cadeaubon van 500 euro", "een reis",
        ],
    },
}

TEMPLATES: dict[str, dict[str, list[str]]] = {
    "booking_request": {
        "en": [
            "{hi}I'd like to book {service} {day} {time}.{bye}",
            "{hi}can I book {service} for {day}?",
            "{hi}I want to schedule {service} {day} {time}",
            "Please book me in for {service} {day} {time}.{bye}",
            "{hi}could I make an appointment for {service} {day}?",
            "I'd like to come in {day} {time} for {service}{bye}",
            "{hi}can you squeeze me in {day} for {service}?",
            "{hi}I'm interested in booking {service}. Ideally {day} {time}.{bye}",
            "id like to reserve {service} {day}",
            "Can I get {service} {day} {time}?",
            "{hi}I'd like to book in with you for {service}, {day} {time} if possible.{bye}",
            "Booking request: {service}, {day} {time}",
            "Schedule me for {service} {day} {time} please",
            "{hi}I'd like to set up {service} with you {day}.{bye}",
            "{hi}is it possible to book {service} {day} {time}? I'd like to come in.",
            "{hi}I'd like to make a booking for {service}",
            "{hi}I'm after {service} {day}, can I book?",
            "Can you book me {service} {day}?",
            "I would like an appointment {day} {time} please",
            "{hi}we'd like to book {service} for two people {day}",
            "{hi}I want to come in for {service} {day}",
            "Hi, I found you on Instagram and would love to book {service}. Could we do {day} "
            "{time}?",
            "reserve me {service} {day} pls",
            "{hi}could you book me in {day} {time}?{bye}",
            "{hi}I'd like to get started with {service}. Can we set the first one for {day}?",
        ],
        "es": [
            "{hi}quería reservar {service} para {day} {time}.{bye}",
            "{hi}me gustaría pedir una cita para {service} {day}",
            "¿Puedo reservar {service} {day} {time}?",
            "{hi}quiero una cita {day} {time} para {service}",
            "{hi}¿me podrías apuntar para {service} {day}?",
            "Resérvame {service} {day} porfa",
            "{hi}quisiera agendar {service} {day} {time}.{bye}",
            "me apuntas {day} {time}? para {service}",
        ],
        "fr": [
            "{hi}je voudrais réserver {service} {day} {time}.{bye}",
            "{hi}est-il possible de prendre rendez-vous pour {service} {day} ?",
            "Je peux réserver {service} {day} {time} ?",
            "{hi}j'aimerais un rendez-vous {day} {time} pour {service}.{bye}",
            "{hi}pouvez-vous me réserver {service} {day} ?",
            "Je souhaite prendre un rdv pour {service} {day}",
            "{hi}je voudrais venir {day} {time} pour {service}",
            "réservez-moi {service} {day} svp",
        ],
        "de": [
            "{hi}ich würde gern {service} {day} {time} buchen.{bye}",
            "{hi}kann ich {day} einen Termin für {service} bekommen?",
            "Ich möchte {service} {day} {time} reservieren",
            "{hi}ich hätte gern einen Termin {day} {time}.{bye}",
            "Können Sie mich {day} für {service} eintragen?",
            "{hi}ich möchte einen Termin für {service} vereinbaren",
            "Buch mich bitte {day} {time} ein",
            "{hi}würde gern {day} zum ersten Mal für {service} vorbeikommen",
        ],
        "pt": [
            "{hi}queria agendar {service} {day} {time}.{bye}",
            "{hi}gostaria de marcar {service} para {day}",
            "Posso agendar {service} {day} {time}?",
            "{hi}quero marcar um horário {day} {time}",
            "Consegue me encaixar {day} para {service}?",
            "{hi}gostaria de reservar {service} {day}.{bye}",
            "marca pra mim {service} {day} {time}?",
            "{hi}quero fazer {service} com você {day}",
        ],
        "it": [
            "{hi}vorrei prenotare {service} {day} {time}.{bye}",
            "{hi}posso prendere un appuntamento per {service} {day}?",
            "Mi piacerebbe prenotare {service} {day} {time}",
            "{hi}vorrei un appuntamento {day} {time}",
            "Mi puoi segnare {day} per {service}?",
            "{hi}vorrei fissare {service} {day}.{bye}",
            "prenotami {service} {day} per favore",
            "{hi}vorrei venire {day} {time} per {service}",
        ],
        "nl": [
            "{hi}ik wil graag {service} boeken {day} {time}.{bye}",
            "{hi}kan ik {day} een afspraak maken voor {service}?",
            "Ik zou graag {service} willen reserveren {day} {time}",
            "{hi}mag ik een afspraak {day} {time}?",
            "Kun je me {day} inplannen voor {service}?",
            "{hi}ik wil een afspraak voor {service}.{bye}",
            "boek mij maar in {day} {time}",
            "{hi}ik kom graag {day} {time} langs voor {service}",
        ],
    },
    "availability_question": {
        "en": [
            "{hi}are you available {day} {time}?",
            "{hi}do you have any availability {day}?",
            "any openings {day}?",
            "{hi}do you have a free slot {day} {time}?",
            "When are you free {day}?",
            "What's your availability like {day}?",
            "Is there any space {day} {time}?",
            "are you free {day}?",
            "Have you got anything {day}?",
            "{hi}when is your next opening?",
            "What hours are you open {day}?",
            "{hi}are you accepting new clients right now?",
            "Do you have time {day} {time}?",
            "Is {time} {day} still available?",
            "What days do you work?",
            "{hi}when's the soonest you could fit someone in?",
            "do you have any spots open {day}?",
            "Are you booked up {day} or is there a gap?",
            "what time slots do you have {day}?",
            "{hi}what does your week look like? Any free times {day}?",
            "Do you have evening availability?",
            "are you open {day}?",
            "{hi}is there an opening {day} {time} by any chance?",
            "When could you see me?",
            "{hi}do you have space for {service} {day}?",
        ],
        "es": [
            "{hi}¿tienes disponibilidad {day}?",
            "¿Tienes algún hueco {day} {time}?",
            "¿Estás libre {day}?",
            "{hi}¿cuándo tienes hueco?",
            "¿A qué hora abres {day}?",
            "¿Aceptas clientes nuevos?",
            "¿Qué horarios tienes libres {day}?",
            "¿Te queda algún hueco {day}?",
        ],
        "fr": [
            "{hi}êtes-vous disponible {day} {time} ?",
            "Vous avez de la dispo {day} ?",
            "Il reste des créneaux {day} ?",
            "{hi}quand est-ce que vous êtes libre ?",
            "Vous êtes libre {day} ?",
            "Quels sont vos horaires {day} ?",
            "Vous prenez de nouveaux clients ?",
            "{hi}vous auriez un créneau {day} {time} ?",
        ],
        "de": [
            "{hi}haben Sie {day} {time} Zeit?",
            "Hast du {day} noch was frei?",
            "Gibt es {day} noch freie Termine?",
            "{hi}wann hätten Sie einen Termin frei?",
            "Wie sind Ihre Öffnungszeiten?",
            "Nehmen Sie noch neue Kunden an?",
            "Bist du {day} verfügbar?",
            "{hi}ist {day} {time} noch etwas frei?",
        ],
        "pt": [
            "{hi}você tem disponibilidade {day}?",
            "Tem horário {day} {time}?",
            "Está livre {day}?",
            "{hi}quando você tem horário?",
            "Qual o horário de funcionamento?",
            "Está aceitando novos clientes?",
            "Quais horários você tem {day}?",
            "{hi}sobrou alguma vaga {day}?",
        ],
        "it": [
            "{hi}sei disponibile {day} {time}?",
            "Hai qualcosa di libero {day}?",
            "Ci sono posti liberi {day}?",
            "{hi}quando hai un buco libero?",
            "Che orari fate {day}?",
            "Accettate nuovi clienti?",
            "Sei libero {day}?",
            "{hi}avresti un orario {day} {time}?",
        ],
        "nl": [
            "{hi}heb je {day} {time} tijd?",
            "Is er {day} nog iets vrij?",
            "Zijn er nog plekken {day}?",
            "{hi}wanneer heb je ruimte?",
            "Wat zijn jullie openingstijden?",
            "Nemen jullie nieuwe klanten aan?",
            "Ben je {day} beschikbaar?",
            "{hi}heb je nog een gaatje {day} {time}?",
        ],
    },
    "pricing_question": {
        "en": [
            "How much is {service}?",
            "{hi}what's the price for {service}?",
            "How much do you charge for {service}?",
            "What are your rates?",
            "{hi}could you tell me the cost of {service}?{bye}",
            "Do you have package prices?",
            "Any discounts for {group}?",
            "Do you take insurance?",
            "How much would {service} cost me?",
            "What's your fee for {service}?",
            "{hi}can you send me a price list?{bye}",
            "Do you offer payment plans?",
            "How much per session?",
            "rates?",
            "how much r u",
            "{hi}what would {service} set me back?",
            "Is there a deposit to pay?",
            "Do you accept Venmo / PayPal?",
            "What's the hourly rate for {service}?",
            "how much does it cost",
            "cost?",
            "{hi}do you have prices for {service} on your website?",
            "Are there any intro offers for new clients?",
            "{hi}is {service} cheaper if I book a block of sessions?",
            "{hi}I'm interested in {service} but need to know the price first.{bye}",
        ],
        "es": [
            "{hi}¿cuánto cuesta {service}?",
            "¿Qué precio tiene {service}?",
            "¿Cuánto cobras por {service}?",
            "{hi}¿me pasas tus tarifas?",
            "¿Hay descuento para {group}?",
            "¿Tienes bonos o paquetes?",
            "precio?",
            "¿Aceptas tarjeta?",
            "¿Cuánto sale {service}?",
        ],
        "fr": [
            "{hi}combien coûte {service} ?",
            "Quel est le prix de {service} ?",
            "C'est combien pour {service} ?",
            "{hi}pourriez-vous m'envoyer vos tarifs ?",
            "Vous faites des forfaits ?",
            "Y a-t-il une réduction pour {group} ?",
            "tarifs ?",
            "Vous acceptez la carte bancaire ?",
            "Est-ce remboursé par la mutuelle ?",
        ],
        "de": [
            "{hi}was kostet {service}?",
            "Wie viel kostet {service} bei dir?",
            "Was nehmen Sie für {service}?",
            "{hi}können Sie mir Ihre Preisliste schicken?",
            "Gibt es Pakete oder Zehnerkarten?",
            "Gibt es Ermäßigung für {group}?",
            "Preise?",
            "Kann man mit Karte zahlen?",
            "Übernimmt die Krankenkasse die Kosten?",
        ],
        "pt": [
            "{hi}quanto custa {service}?",
            "Qual o preço de {service}?",
            "Quanto você cobra por {service}?",
            "{hi}pode me passar os valores?",
            "Tem pacote com desconto?",
            "Tem desconto para {group}?",
            "valor?",
            "Aceita cartão?",
            "O plano de saúde cobre?",
        ],
        "it": [
            "{hi}quanto costa {service}?",
            "Qual è il prezzo di {service}?",
            "Quanto chiedi per {service}?",
            "{hi}mi mandi il listino prezzi?",
            "Avete pacchetti?",
            "C'è uno sconto per {group}?",
            "prezzi?",
            "Si può pagare con la carta?",
            "È rimborsabile dall'assicurazione?",
        ],
        "nl": [
            "{hi}wat kost {service}?",
            "Wat is de prijs van {service}?",
            "Hoeveel reken je voor {service}?",
            "{hi}kun je me je prijslijst sturen?",
            "Hebben jullie een strippenkaart?",
            "Is er korting voor {group}?",
            "prijs?",
            "Kan ik pinnen?",
            "Wordt het vergoed door de zorgverzekering?",
        ],
    },
    "service_question": {
        "en": [
            "Do you offer {offer}?",
            "{hi}do you do {offer}?",
            "Can you help with {topic}?",
            "{hi}do you have experience with {topic}?",
            "Do you do sessions online or only in person?",
            "How long is {service}?",
            "What does {service} involve?",
            "Where is your studio?",
            "What qualifications do you have?",
            "Is {service} suitable for {group}?",
            "What should I expect at {service}?",
            "Do you work with {group}?",
            "{hi}are you trained in {offer}?",
            "what's your approach to {topic}?",
            "Is there somewhere to park?",
            "Do I need to bring anything?",
            "{hi}I struggle with {topic}. Is that something you work with?{bye}",
            "Do you teach {subject}?",
            "What products do you use?",
            "Can you do {offer} as a mobile / home visit?",
            "{hi}what's included in {service}?",
            "do u do {offer}",
            "Are you licensed?",
            "Which areas do you cover?",
            "{hi}is {offer} something you specialise in?",
        ],
        "es": [
            "{hi}¿haces {offer}?",
            "¿Trabajas con {group}?",
            "¿Tienes experiencia con {topic}?",
            "¿Ofreces {offer}?",
            "¿Cuánto dura {service}?",
            "¿Dónde está tu consulta?",
            "¿Las clases son presenciales?",
            "¿Qué incluye {service}?",
        ],
        "fr": [
            "{hi}vous faites {offer} ?",
            "Est-ce que vous travaillez avec {group} ?",
            "Vous avez de l'expérience avec {topic} ?",
            "Vous proposez {offer} ?",
            "Combien de temps dure {service} ?",
            "Où se trouve votre cabinet ?",
            "Les cours sont en ligne ?",
            "Qu'est-ce qui est inclus dans {service} ?",
        ],
        "de": [
            "{hi}bieten Sie {offer} an?",
            "Arbeitest du auch mit {group}?",
            "Haben Sie Erfahrung mit {topic}?",
            "Machst du auch {offer}?",
            "Wie lange dauert {service}?",
            "Wo ist Ihre Praxis?",
            "Finden die Stunden auch online statt?",
            "Was ist bei {service} inklusive?",
        ],
        "pt": [
            "{hi}você faz {offer}?",
            "Vocês atendem {group}?",
            "Tem experiência com {topic}?",
            "Oferece {offer}?",
            "Quanto tempo dura {service}?",
            "Onde fica o consultório?",
            "As aulas são online?",
            "O que está incluído em {service}?",
        ],
        "it": [
            "{hi}fate {offer}?",
            "Lavori con {group}?",
            "Hai esperienza con {topic}?",
            "Offrite {offer}?",
            "Quanto dura {service}?",
            "Dov'è il tuo studio?",
            "Le sedute sono online?",
            "Cosa include {service}?",
        ],
        "nl": [
            "{hi}doen jullie ook {offer}?",
            "Werk je ook met {group}?",
            "Heb je ervaring met {topic}?",
            "Bieden jullie {offer} aan?",
            "Hoe lang duurt {service}?",
            "Waar zit je praktijk?",
            "Zijn de lessen ook online?",
            "Wat zit er bij {service} inbegrepen?",
        ],
    },
    "reschedule_cancel": {
        "en": [
            "{hi}I need to cancel {appt} {day}.{bye}",
            "Can we reschedule {appt}?",
            "{hi}can I move {appt} to {day}?",
            "I can't make it {day}, can we change it?",
            "Please cancel {appt}.",
            "Could we push {appt} to {day} {time}?",
            "Something came up and I have to cancel {day}.{bye}",
            "Can I change {appt} from {day} to {day}?",
            "{hi}I'm going to have to postpone {appt}.",
            "Sorry, I need to reschedule {appt} {day}",
            "I'll be late, can we start {time} instead?",
            "{hi}I'm ill so I won't make {appt} {day}.{bye}",
            "cancel {appt} pls",
            "Can we move it to {day} {time}?",
            "{hi}I have to cancel, sorry for the short notice.",
            "Is it ok if we rearrange {appt}?",
            "I need to drop {appt} {day}, can we rebook?",
            "{hi}my plans changed, could we do {day} instead of {day}?",
            "Need to cancel",
            "{hi}could you change {appt} to a later time?",
            "stuck at work, can we reschedule {appt}?",
            "I won't be able to attend {appt} {day}",
            "{hi}can we bring {appt} forward to {day}?",
        ],
        "es": [
            "{hi}tengo que cancelar {appt} {day}.{bye}",
            "¿Podemos cambiar {appt} a {day}?",
            "No puedo ir {day}, ¿lo cambiamos?",
            "{hi}necesito anular {appt}",
            "¿Se puede mover {appt} a {day} {time}?",
            "Me surgió un imprevisto, ¿podemos aplazar {appt}?",
            "Voy a llegar tarde, ¿podemos empezar {time}?",
            "cancela {appt} porfa",
        ],
        "fr": [
            "{hi}je dois annuler {appt} {day}.{bye}",
            "On peut déplacer {appt} à {day} ?",
            "Je ne peux pas venir {day}, on peut changer ?",
            "{hi}je voudrais reporter {appt}",
            "Est-ce possible de décaler {appt} à {day} {time} ?",
            "J'ai un empêchement, il faut annuler {appt}",
            "Je vais être en retard, on peut commencer {time} ?",
            "annulez {appt} svp",
        ],
        "de": [
            "{hi}ich muss {appt} {day} absagen.{bye}",
            "Können wir {appt} auf {day} verschieben?",
            "Ich schaffe es {day} nicht, können wir tauschen?",
            "{hi}ich möchte {appt} stornieren",
            "Ist es möglich, {appt} auf {day} {time} zu verlegen?",
            "Mir ist was dazwischengekommen, ich muss {appt} absagen",
            "Ich komme etwas später, können wir {time} anfangen?",
            "bitte {appt} stornieren",
        ],
        "pt": [
            "{hi}preciso cancelar {appt} {day}.{bye}",
            "Podemos mudar {appt} para {day}?",
            "Não consigo ir {day}, dá pra trocar?",
            "{hi}quero desmarcar {appt}",
            "É possível remarcar {appt} para {day} {time}?",
            "Tive um imprevisto, preciso adiar {appt}",
            "Vou me atrasar, podemos começar {time}?",
            "cancela {appt} por favor",
        ],
        "it": [
            "{hi}devo annullare {appt} {day}.{bye}",
            "Possiamo spostare {appt} a {day}?",
            "Non riesco {day}, possiamo cambiare?",
            "{hi}vorrei disdire {appt}",
            "Si può rimandare {appt} a {day} {time}?",
            "Ho avuto un imprevisto, devo annullare {appt}",
            "Sono in ritardo, possiamo iniziare {time}?",
            "annulla {appt} per favore",
        ],
        "nl": [
            "{hi}ik moet {appt} {day} annuleren.{bye}",
            "Kunnen we {appt} naar {day} verplaatsen?",
            "Ik kan {day} niet, kunnen we ruilen?",
            "{hi}ik wil {appt} afzeggen",
            "Is het mogelijk om {appt} te verschuiven naar {day} {time}?",
            "Er kwam iets tussen, ik moet {appt} afzeggen",
            "Ik ben wat later, kunnen we {time} beginnen?",
            "annuleer {appt} aub",
        ],
    },
    "not_a_prospect": {
        "en": [
            "Get {n} new clients a month with our {mkt}! Reply YES for a free demo.",
            "{hi}we help {biz} rank #1 on Google. Free SEO audit: {url}",
            "You have won {prize}! Claim now at {url}",
            "Invest in {coin} now and earn {pct}% weekly returns 🚀",
            "oops wrong number, sorry",
            "I think you have the wrong number, I don't know you",
            "Your {acct} account is locked. Verify at {url}",
            "Cheap {product} online, {pct}% off, order today {url}",
            "{hi}I'm {name} from {company}. We offer {mkt} for small businesses. Do you have 10 "
            "minutes {day}?",
            "Work from home and earn ${n} per day",
            "We'd like to buy a backlink on your website, ${n} per post",
            "Is this {name}? I think I texted the wrong person",
            "Limited offer: {product} at {pct}% off. Reply STOP to opt out",
            "{hi}we are a web design agency and noticed your site loads slowly. Can we send you "
            "a quote?",
            "Dear friend, I have a confidential business proposal for you",
            "Your {acct} payment failed, update your card here {url}",
            "{hi}quick question - are you the business owner? We have a {mkt} offer just for "
            "{biz}.",
            "FREE {prize} for the first 100 people! Click {url}",
            "Make {pct}% profit daily with our {coin} trading bot",
            "Looking for a loan? Approved in minutes, no credit check",
            "{hi}we are hiring remote workers, ${n}/week, reply for details",
            "wrong number mate",
            "{hi}{company} here. Want to try our {mkt} free for 30 days?",
        ],
        "es": [
            "Gana {n}€ al día desde casa, escríbeme",
            "{hi}te ayudamos a conseguir más clientes con {mkt}. ¿Hablamos?",
            "¡Has ganado {prize}! Reclámalo en {url}",
            "Invierte en {coin} y gana un {pct}% semanal",
            "Perdona, número equivocado",
            "Tu cuenta de {acct} ha sido bloqueada, verifica aquí {url}",
            "Diseñamos tu página web por solo {n}€",
            "¿Eres {name}? creo que me equivoqué",
        ],
        "fr": [
            "Gagnez {n}€ par jour depuis chez vous !",
            "{hi}nous aidons {biz} à trouver plus de clients grâce à {mkt}. Un appel ?",
            "Vous avez gagné {prize} ! Réclamez-le sur {url}",
            "Investissez dans le {coin} et gagnez {pct}% par semaine",
            "Pardon, je me suis trompé de numéro",
            "Votre compte {acct} est suspendu, vérifiez ici {url}",
            "Création de site internet à partir de {n}€",
            "C'est toi {name} ? Je crois que je me suis trompé",
        ],
        "de": [
            "Verdiene {n}€ am Tag von zu Hause!",
            "{hi}wir helfen {biz} mit {mkt} zu mehr Kunden. Kurzes Gespräch?",
            "Herzlichen Glückwunsch, Sie haben {prize} gewonnen! {url}",
            "Investiere jetzt in {coin} und erhalte {pct}% Rendite pro Woche",
            "Sorry, hab mich in der Nummer geirrt",
            "Ihr {acct}-Konto wurde gesperrt, bitte bestätigen Sie unter {url}",
            "Wir erstellen Ihre Webseite schon ab {n}€",
            "Bist du {name}? Glaube ich habe mich verwählt",
        ],
        "pt": [
            "Ganhe R${n} por dia trabalhando de casa!",
            "{hi}ajudamos {biz} a conseguir mais clientes com {mkt}. Vamos conversar?",
            "Parabéns! Você ganhou {prize}! Resgate em {url}",
            "Invista em {coin} e ganhe {pct}% por semana",
            "Foi mal, mandei pro número errado",
            "Sua conta {acct} foi bloqueada, confirme seus dados em {url}",
            "Criamos seu site por apenas R${n}",
            "É o {name}? Acho que errei o número",
        ],
        "it": [
            "Guadagna {n}€ al giorno da casa!",
            "{hi}aiutiamo {biz} a trovare nuovi clienti con {mkt}. Ti interessa?",
            "Complimenti! Hai vinto {prize}! Ritira su {url}",
            "Investi in {coin} e guadagna il {pct}% a settimana",
            "Scusa, numero sbagliato",
            "Il tuo account {acct} è stato bloccato, verifica su {url}",
            "Realizziamo il tuo sito web a partire da {n}€",
            "Sei {name}? Credo di aver sbagliato",
        ],
        "nl": [
            "Verdien {n} euro per dag vanuit huis!",
            "{hi}wij helpen {biz} aan meer klanten met {mkt}. Even bellen?",
            "Gefeliciteerd! U heeft {prize} gewonnen, claim via {url}",
            "Investeer in {coin} en verdien {pct}% per week",
            "Oeps, verkeerde nummer sorry",
            "Uw {acct} account is geblokkeerd, verifieer via {url}",
            "Wij maken uw website al vanaf {n} euro",
            "Ben jij {name}? Ik denk dat ik me vergist heb",
        ],
    },
    "other": {
        "en": [
            "Thank you so much!{bye}",
            "thanks, see you {day}!",
            "See you {day} {time}!",
            "ok thanks",
            "Perfect 👍",
            "Great, see you then",
            "Got it, thanks",
            "No worries at all",
            "That was amazing, thank you",
            "I'm here",
            "On my way",
            "Just arrived, I'm in the lobby",
            "I sent the payment{bye}",
            "Can I get an invoice for {appt}?",
            "Happy birthday!",
            "Merry Christmas!",
            "Have a great weekend!",
            "Sorry I missed your call",
            "I think I left my {item} there, did you find it?",
            "I left you a review",
            "My {rel} will contact you too",
            "Hello",
            "Hey, how are you?",
            "ok cool",
            "yes",
            "no problem",
            "Thanks for fitting me in {day}",
            "lovely, thank you",
            "I'll let you know",
            "Will do!",
            "Thanks for the reminder",
            "confirmed, see you {day}",
            "Just paid, thanks",
            "Thanks for {appt} {day}, I feel great",
        ],
        "es": [
            "¡Gracias!",
            "Perfecto, nos vemos {day}",
            "Vale, gracias",
            "Genial 👍",
            "Ya estoy aquí",
            "Voy de camino",
            "Te he hecho la transferencia",
            "¡Feliz Navidad!",
            "Me encantó {appt}",
            "Muchas gracias por todo",
            "De acuerdo",
            "Te dejé una reseña",
            "¿Me puedes mandar la factura?",
        ],
        "fr": [
            "Merci !",
            "Parfait, à {day}",
            "Ok merci",
            "Super 👍",
            "Je suis arrivée",
            "J'arrive dans 5 minutes",
            "Je vous ai fait le virement",
            "Joyeux Noël !",
            "J'ai adoré {appt}",
            "Merci pour tout",
            "Très bien",
            "Je vous ai laissé un avis",
            "Pouvez-vous m'envoyer une facture ?",
        ],
        "de": [
            "Danke!",
            "Super, bis {day}",
            "Ok danke",
            "Perfekt 👍",
            "Bin da",
            "Bin in 5 Minuten da",
            "Hab dir das Geld überwiesen",
            "Frohe Weihnachten!",
            "Die Stunde war toll",
            "Danke für alles",
            "Passt",
            "Hab dir eine Bewertung hinterlassen",
            "Können Sie mir eine Rechnung schicken?",
        ],
        "pt": [
            "Obrigado!",
            "Perfeito, até {day}",
            "Ok obrigada",
            "Show 👍",
            "Cheguei",
            "Tô chegando",
            "Fiz o pix",
            "Feliz Natal!",
            "Amei o resultado",
            "Obrigada por tudo",
            "Combinado",
            "Deixei uma avaliação",
            "Pode me mandar o recibo?",
        ],
        "it": [
            "Grazie!",
            "Perfetto, a {day}",
            "Ok grazie",
            "Ottimo 👍",
            "Sono arrivata",
            "Arrivo tra 5 minuti",
            "Ti ho fatto il bonifico",
            "Buon Natale!",
            "Mi è piaciuta tantissimo la seduta",
            "Grazie di tutto",
            "D'accordo",
            "Ti ho lasciato una recensione",
            "Mi puoi mandare la ricevuta?",
        ],
        "nl": [
            "Dank je!",
            "Top, tot {day}",
            "Oké bedankt",
            "Prima 👍",
            "Ik ben er",
            "Ik ben er over 5 minuten",
            "Ik heb het bedrag overgemaakt",
            "Fijne feestdagen!",
            "De les was echt fijn",
            "Bedankt voor alles",
            "Helemaal goed",
            "Ik heb een review achtergelaten",
            "Kun je me een factuur sturen?",
        ],
    },
}

HAND_WRITTEN: dict[str, list[tuple[str, str]]] = {
    "booking_request": [
        ("en", "Hello! I've been meaning to do this for ages. I'd like to book my first session "
               "with you — I'm dealing with a lot of work stress and a friend said you helped "
               "her a lot. Weekday evenings or Saturday mornings work best for me. Looking "
               "forward to it, Jamie"),
        ("en", "yo can i get a fade sat"),
        ("en", "need a haircut asap, can u take me today?"),
        ("en", "Hi, I saw your ad. Sign my son up for maths tutoring please, twice a week "
               "starting Monday"),
        ("en", "book me 4 a massage 2moro pls 🙏"),
        ("en", "I'd love to come in, do Tuesday 3pm please"),
        ("en", "Hi Coach, I'm ready to commit. Let's get my first PT session in the diary for "
               "next Monday 7am."),
        ("en", "Can i come for a blow dry at 2"),
        ("en", "wanna book"),
        ("en", "Hey, booking for 2 for massages Sat, preferably side by side"),
        ("en", "Dear Ms. Keller, I would like to request an appointment for an initial "
               "consultation regarding my anxiety. I'm available most afternoons. Best regards, "
               "Thomas Brandt"),
        ("en", "plz reserve 1 spot at the Thursday 6pm spin class for me"),
        ("en", "I'll take the 11:30 on Friday if it's still going"),
        ("en", "ok let's go ahead and book it, same time next week works"),
        ("es", "Hola! Me gustaría empezar terapia contigo, ¿me das cita para la semana que "
               "viene?"),
        ("es", "quiero cita xa mañana xfa"),
        ("fr", "Bonjour Madame, je souhaiterais prendre rendez-vous pour mon fils pour des "
               "cours de soutien en maths, le mercredi après-midi si possible. Cordialement"),
        ("fr", "je peux venir demain 14h pour une coupe ?"),
        ("de", "Hallo! Ich würde gerne ein Probetraining bei dir machen, am liebsten "
               "Montagabend."),
        ("de", "termin für morgen bitte"),
        ("pt", "Oi!! quero marcar escova pra sábado de manhã 💇‍♀️"),
        ("it", "Ciao! vorrei prenotare per domani un massaggio, ore 17 va bene?"),
        ("nl", "Hoi! Ik wil me graag aanmelden voor een proeftraining, kan dat dinsdag?"),
    ],
    "availability_question": [
        ("en", "Hi, just checking if you have anything this Saturday? I'm flexible on time"),
        ("en", "free today?"),
        ("en", "You around this arvo?"),
        ("en", "wat times r u open sat"),
        ("en", "Do you have availability for a recurring weekly slot on Wednesday evenings? I'm "
               "looking for something ongoing."),
        ("en", "Hello, I'm trying to figure out when you're next available — my schedule is "
               "tight so early mornings or late evenings are best. Do you have anything like "
               "that in the coming weeks?"),
        ("en", "any space left this wk?"),
        ("en", "how booked up are you next month"),
        ("en", "is Monday morning free by any chance 🤞"),
        ("en", "Are you still seeing new patients?"),
        ("en", "Do you have any gaps later today?"),
        ("en", "what are your hours on weekdays?"),
        ("en", "When do you open tomorrow?"),
        ("es", "oye tienes hueco hoy?"),
        ("fr", "dispo samedi ?"),
        ("de", "hast du heute noch Zeit?"),
        ("pt", "tem vaga hj?"),
        ("it", "sei libera oggi pomeriggio?"),
        ("nl", "heb je vandaag nog tijd?"),
    ],
    "pricing_question": [
        ("en", "how much"),
        ("en", "prices pls"),
        ("en", "Hi! Before I commit, can you tell me what the total would be for a full course "
               "of 8 sessions? And do you require payment upfront?"),
        ("en", "What do u charge 4 a cut n colour"),
        ("en", "is it cheaper if I come every week?"),
        ("en", "Do you charge extra for long hair?"),
        ("en", "Hey what's ur rate for 1 hr"),
        ("en", "Do you bill my insurance directly or do I claim back?"),
        ("en", "Can I pay in installments?"),
        ("en", "Are there student rates? I'm at uni"),
        ("en", "whats the damage for a full set 💅"),
        ("en", "is there a fee for the first consultation or is it free?"),
        ("en", "what's the going rate for private tutoring with you?"),
        ("es", "precio de la mani?"),
        ("fr", "c combien une séance ?"),
        ("de", "was kostet das?"),
        ("pt", "qto é o corte masculino?"),
        ("it", "quanto viene una lezione?"),
        ("nl", "wat kost het per uur?"),
    ],
    "service_question": [
        ("en", "Hi, I'm not sure what I need. I've had lower back pain for months — is that "
               "something your massages can help with, or is it more for relaxation?"),
        ("en", "do you do fades?"),
        ("en", "Are you LGBTQ+ friendly?"),
        ("en", "Is it a female therapist?"),
        ("en", "Do you do house calls?"),
        ("en", "What age do you teach from?"),
        ("en", "do you have showers at the gym"),
        ("en", "Hi! Do you teach adults too or only kids?"),
        ("en", "Can I bring my baby along?"),
        ("en", "What's your cancellation policy?"),
        ("en", "Do you speak Spanish?"),
        ("en", "Is the session confidential?"),
        ("en", "what's the address of the salon?"),
        ("es", "haces uñas de gel?"),
        ("fr", "vous parlez anglais ?"),
        ("de", "Machst du auch Hausbesuche?"),
        ("pt", "vc atende em domicílio?"),
        ("it", "fai anche le unghie?"),
        ("nl", "spreek je ook Engels?"),
    ],
    "reschedule_cancel": [
        ("en", "Hey so sorry, my car broke down, I'm not going to make it today. Can we rebook?"),
        ("en", "Can't do tmrw anymore, sorry!! another day?"),
        ("en", "running late sorry, be there in 15"),
        ("en", "Hi, I'm afraid I need to cancel all my upcoming sessions for now, money is a "
               "bit tight. I'll reach out when I'm ready to restart. Thank you for "
               "understanding."),
        ("en", "need to move our thing to thursday"),
        ("en", "pls cxl my appt"),
        ("en", "Could we make it 5 instead of 4?"),
        ("en", "Would it be possible to swap to an online session instead of coming in? I'm "
               "stuck at home"),
        ("en", "I have COVID, need to cancel this week 😷"),
        ("en", "can't make our session, kid's sick. sorry!"),
        ("es", "perdona, no llego hoy, lo dejamos para otro día?"),
        ("fr", "désolée, je dois annuler pour demain"),
        ("de", "Sorry, muss leider absagen 😕"),
        ("pt", "vou ter que desmarcar amanhã, desculpa"),
        ("it", "scusa, devo spostare, va bene giovedì?"),
        ("nl", "sorry, ik moet helaas afzeggen voor morgen"),
    ],
    "not_a_prospect": [
        ("en", "ATTENTION business owner: your Google listing will be removed unless you verify "
               "today. Call 1-800-555-0199"),
        ("en", "Hi there! I came across your business and I think you'd be a perfect fit for "
               "our influencer program. DM us!"),
        ("en", "We can write 50 five-star reviews for your business, $5 each"),
        ("en", "Final notice regarding your vehicle's extended warranty"),
        ("en", "Hey it's Brad, did you get the tickets for tonight?"),
        ("en", "$$$ Make money fast $$$ no risk"),
        ("en", "I'm a student doing a survey on small businesses, can you fill in my form? "
               "bit.ly/survey99"),
        ("en", "This is your bank: unusual activity detected, reply with your PIN"),
        ("en", "Looking for a SEO expert? I can get your site on page one in 2 weeks."),
        ("en", "Get a business loan up to $250k, no paperwork"),
        ("en", "join my crypto signals group, 95% win rate 📈"),
        ("es", "oferta exclusiva: seguidores en Instagram baratos"),
        ("fr", "Bonjour, je suis commercial chez une agence de pub, vous voulez apparaître en "
               "premier sur Google ?"),
        ("de", "Hey, wer ist da? Kenne die Nummer nicht"),
        ("pt", "Olá, trabalhamos com tráfego pago para salões, quer aumentar seu faturamento?"),
        ("it", "Offerta imperdibile: 1000 follower a 9€"),
        ("nl", "Hallo, met wie spreek ik? Ik ken dit nummer niet"),
    ],
    "other": [
        ("en", "thx!!"),
        ("en", "see u then"),
        ("en", "cool"),
        ("en", "will do 👌"),
        ("en", "Thanks again for yesterday, my back feels so much better"),
        ("en", "I just paid the invoice"),
        ("en", "lol"),
        ("en", "ok see you soon"),
        ("en", "Merry xmas!! 🎄"),
        ("en", "My mum says hi"),
        ("en", "Sorry, ignore my last message"),
        ("en", "I'm parked outside"),
        ("en", "Did you get my email?"),
        ("en", "awesome thank you"),
        ("en", "👋"),
        ("en", "Yes that works, thanks"),
        ("en", "Noted 👍"),
        ("es", "gracias guapa!!"),
        ("fr", "merci, bonne soirée"),
        ("de", "ok, bis morgen"),
        ("pt", "valeu!!"),
        ("it", "ok ci vediamo"),
        ("nl", "top, dankjewel!"),
    ],
}
# fmt: on

EMOJI = ["🙂", "🙏", "😊", "👍", "!!"]
SMS = [
    (r"\byou\b", "u"),
    (r"\byour\b", "ur"),
    (r"\bare\b", "r"),
    (r"\bplease\b", "pls"),
    (r"\btomorrow\b", "tmrw"),
    (r"\bappointment\b", "appt"),
    (r"\bthanks\b", "thx"),
    (r"\bfor\b", "4"),
    (r"\btonight\b", "2nite"),
]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, lang: str, rng: random.Random) -> str:
    """One message from ``template`` with vocabulary drawn for ``lang``."""
    vocab = VOCAB[lang]
    text = PLACEHOLDER.sub(
        lambda m: rng.choice(vocab.get(m.group(1)) or SHARED[m.group(1)]), template
    )
    text = re.sub(r"\s+", " ", text).strip()
    if lang != "fr":
        text = re.sub(r"\s+([?.!,])", r"\1", text)
    return text


def typo(text: str, rng: random.Random) -> str:
    """Swap two adjacent letters or drop one, in one word of four letters or more."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 1)
    words[i] = (
        word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        if rng.random() < 0.5
        else word[:j] + word[j + 1 :]
    )
    return " ".join(words)


def noisy(text: str, lang: str, rng: random.Random) -> str:
    """Real inboxes: lowercase, missing punctuation, typos, SMS spelling, emojis."""
    if rng.random() < 0.3:
        text = text.lower()
    if rng.random() < 0.2:
        text = text.rstrip(".!?¿¡ ")
    if rng.random() < 0.15:
        text = typo(text, rng)
    if lang == "en" and rng.random() < 0.2:
        for pattern, short in SMS:
            text = re.sub(pattern, short, text, flags=re.IGNORECASE)
    if rng.random() < 0.1:
        text = f"{text} {rng.choice(EMOJI)}"
    return text


def key(text: str) -> str:
    """Duplicate check ignoring case, accents, punctuation and spacing."""
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split()) or text


def generate(seed: int = SEED) -> list[dict[str, str]]:
    """All training rows: templated first, then hand-written, without duplicates."""
    rng = random.Random(seed)
    seen: set[str] = set()
    rows: list[dict[str, str]] = []

    def add(text: str, intent: str, lang: str) -> bool:
        if key(text) in seen:
            return False
        seen.add(key(text))
        rows.append({"text": text, "intent": intent, "lang": lang})
        return True

    for intent, by_language in TEMPLATES.items():
        for lang, templates in by_language.items():
            wanted, attempts = TEMPLATED_PER_LANGUAGE[lang], 0
            while wanted and attempts < 50 * TEMPLATED_PER_LANGUAGE[lang]:
                attempts += 1
                text = noisy(fill(rng.choice(templates), lang, rng), lang, rng)
                wanted -= add(text, intent, lang)
        for lang, text in HAND_WRITTEN[intent]:
            add(text, intent, lang)
    return rows


def main() -> None:
    rows = generate()
    with OUTPUT.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} examples to {OUTPUT}")


if __name__ == "__main__":
    main()
