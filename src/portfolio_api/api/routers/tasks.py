"""`/v1/tasks`: each signed-in user's own tasks."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from portfolio_api.api.deps import CurrentUser, IfMatchVersion, container_of
from portfolio_api.api.idempotency import IdempotentCreateDep
from portfolio_api.api.responses import problems, resource_response
from portfolio_api.core.exact_json import DecimalJSONRoute, ExactJSONResponse
from portfolio_api.schemas.tasks import Task, TaskCreate, TaskFilters, TaskPage, TaskUpdate
from portfolio_api.services.tasks import TaskService

# The contract names the path parameter `taskId` (camelCase like every field on the wire).
TaskId = Annotated[str, Path(alias="taskId")]

router = APIRouter(prefix="/v1/tasks", tags=["tasks"], route_class=DecimalJSONRoute)


async def task_service(request: Request) -> TaskService:
    """The tasks service."""
    return container_of(request).task_service


TaskServiceDep = Annotated[TaskService, Depends(task_service)]


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=Task, responses=problems(400, 401, 422)
)
async def create_task(
    body: TaskCreate, user: CurrentUser, tasks: TaskServiceDep, idempotent: IdempotentCreateDep
) -> ExactJSONResponse:
    """A task of the caller's."""
    return await idempotent.created("/v1/tasks", lambda: tasks.create(user, body))


@router.get("", response_model=TaskPage, responses=problems(400, 401))
async def list_tasks(
    filters: Annotated[TaskFilters, Query()], user: CurrentUser, tasks: TaskServiceDep
) -> ExactJSONResponse:
    """The caller's tasks, newest first; `status`, `priority` and `dueBefore` combine."""
    return ExactJSONResponse(tasks.list_tasks(user, filters))


@router.get("/{taskId}", response_model=Task, responses=problems(401, 404))
async def get_task(task_id: TaskId, user: CurrentUser, tasks: TaskServiceDep) -> ExactJSONResponse:
    """One of the caller's tasks; anyone else's is a 404."""
    return resource_response(tasks.get(user, task_id))


@router.patch("/{taskId}", response_model=Task, responses=problems(400, 401, 404, 409, 412))
async def update_task(
    task_id: TaskId,
    body: TaskUpdate,  # type: ignore[valid-type]
    user: CurrentUser,
    tasks: TaskServiceDep,
    expected_version: IfMatchVersion,
) -> ExactJSONResponse:
    """Any subset of the fields; `completedAt` follows `status`."""
    return resource_response(tasks.update(user, task_id, body, expected_version))


@router.delete(
    "/{taskId}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(401, 404, 412)
)
async def delete_task(
    task_id: TaskId, user: CurrentUser, tasks: TaskServiceDep, expected_version: IfMatchVersion
) -> Response:
    """Gone."""
    tasks.delete(user, task_id, expected_version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
