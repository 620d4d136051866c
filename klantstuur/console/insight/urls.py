from django.urls import path

from . import views

app_name = "console_insight"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("drill/<slug:figure>/", views.drill, name="drill"),
    path("journeys/<int:need_id>/", views.journey, name="journey"),
    path("export.csv", views.export, name="export"),
    path("listening/", views.listening, name="listening"),
    path("listening/<int:sample_id>/listened", views.listen, name="listen"),
    path("board/", views.board, name="board"),
    path("board/causes", views.cause_add, name="cause_add"),
    path("board/items", views.item_add, name="item_add"),
    path("board/items/<int:item_id>", views.item_move, name="item_move"),
    path("customers/", views.customers, name="customers"),
    path("customers/<int:customer_id>/", views.customer, name="customer"),
    path("customers/<int:customer_id>/reward", views.reward, name="reward"),
]
