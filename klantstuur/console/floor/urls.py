from django.urls import path

from . import bill, views

app_name = "console_floor"
urlpatterns = [
    path("", views.floor, name="floor"),
    path("live/", views.floor_fragment, name="floor_fragment"),
    path("stream/", views.floor_stream, name="floor_stream"),
    path("seat/", views.seat, name="seat"),
    path("parties/<int:party_id>/order/", views.take_order, name="take_order"),
    path("parties/<int:party_id>/came/", views.host_came, name="host_came"),
    path("parties/<int:party_id>/leave/", views.leave, name="leave"),
    path("parties/<int:party_id>/bill/", bill.bill, name="bill"),
    path("parties/<int:party_id>/pay/", bill.pay, name="pay"),
    path("parties/<int:party_id>/close/", bill.close, name="close"),
    path("parties/<int:party_id>/fire/", bill.fire_next, name="fire_next"),
    path("orders/<int:order_id>/fire/", views.fire, name="fire"),
    path("stations/", views.stations, name="stations"),
    path("stations/<slug:code>/", views.board, name="board"),
    path("stations/<slug:code>/live/", views.board_fragment, name="board_fragment"),
    path("stations/<slug:code>/stream/", views.board_stream, name="board_stream"),
    path(
        "stations/<slug:code>/tickets/<int:order_id>/bump/",
        views.ticket_bump,
        name="ticket_bump",
    ),
    path("lines/<int:line_id>/bump/", views.line_bump, name="line_bump"),
    path("lines/<int:line_id>/start/", views.line_start, name="line_start"),
    path("lines/<int:line_id>/recall/", views.line_recall, name="line_recall"),
    path("runner/", views.runner, name="runner"),
    path("runner/live/", views.runner_fragment, name="runner_fragment"),
    path("runner/stream/", views.runner_stream, name="runner_stream"),
    path("lines/<int:line_id>/pickup/", views.pick_up, name="pick_up"),
    path("lines/<int:line_id>/deliver/", views.deliver, name="deliver"),
    path("runner/serve-table/", views.serve_table, name="serve_table"),
    path("shift/", views.shift, name="shift"),
    path("qr/", views.qr_codes, name="qr_codes"),
    path("parties/<int:party_id>/link/", views.guest_link, name="guest_link"),
]
