from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("appointments/<int:pk>/feedback/", views.feedback, name="feedback"),
    path("feedback/<str:token>/", views.respond, name="respond"),
    path("feedback/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
