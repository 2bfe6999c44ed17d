from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("book/", views.book, name="book"),
    path("book/slots/", views.slots, name="slots"),
    path("appointments/<int:pk>/", views.appointment, name="appointment"),
    path("appointments/<int:pk>/modify/", views.modify, name="modify"),
    path("appointments/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("appointments/<int:pk>/calendar.ics", views.calendar_file, name="calendar"),
]
