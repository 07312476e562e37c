from django.urls import path

from . import views

app_name = "landing"
urlpatterns = [
    path("<int:deal_pk>/sign/", views.deal_sign_view, name="sign"),
    path("<int:deal_pk>/terminate/", views.deal_terminate_view, name="terminate"),
]
