from django.urls import path

from . import dashboard, exports, improvement, journeys, listening, loyalty, mail

app_name = "console_insight"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("drill/<slug:figure>/", journeys.drill, name="drill"),
    path("journeys/<int:need_id>/", journeys.journey, name="journey"),
    path("export.csv", exports.export, name="export"),
    path("listening/", listening.listening, name="listening"),
    path("listening/<int:sample_id>/listened", listening.listen, name="listen"),
    path("board/", improvement.board, name="board"),
    path("failed-mail/", mail.failed_mail, name="failed_mail"),
    path("board/causes", improvement.cause_add, name="cause_add"),
    path("board/items", improvement.item_add, name="item_add"),
    path("board/items/<int:item_id>", improvement.item_move, name="item_move"),
    path("customers/", loyalty.customers, name="customers"),
    path("customers/<int:customer_id>/", loyalty.customer, name="customer"),
    path("customers/<int:customer_id>/reward", loyalty.reward, name="reward"),
]
