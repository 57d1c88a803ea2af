from django.urls import path

from handover import views

app_name = "handover"
urlpatterns = [
    path("", views.plans, name="plans"),
    path("start/", views.start_departure, name="start"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("exposure/", views.exposure, name="exposure"),
    path("what-if/<int:employee_id>/", views.what_if, name="what_if"),
    path("my-steps/", views.my_steps, name="my_steps"),
    path("steps/<int:step_id>/done/", views.complete_step, name="complete_step"),
    path("steps/done/", views.complete_steps, name="complete_steps"),
    path("outcomes/", views.outcomes, name="outcomes"),
]
